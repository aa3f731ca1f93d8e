// A live countdown to `deadline` (milliseconds since the epoch, UTC), ticking in the browser every second
// (no server round trips). Emits "expired" once when it reaches zero. See components/countdown.py.
export default {
  template: `<span class="ft-countdown ft-num" :title="title" role="timer" :aria-label="label + ' ' + text">{{ text }}</span>`,
  props: {
    deadline: Number,
    label: { type: String, default: "" },
    done: { type: String, default: "now" },
    title: { type: String, default: "" },
  },
  data() {
    return { now: Date.now(), fired: false };
  },
  computed: {
    text() {
      let left = Math.floor((this.deadline - this.now) / 1000);
      if (left <= 0) return this.done;
      const days = Math.floor(left / 86400);
      left -= days * 86400;
      const h = Math.floor(left / 3600);
      const m = Math.floor((left % 3600) / 60);
      const s = left % 60;
      const pad = (n) => String(n).padStart(2, "0");
      if (days > 0) return `${days}d ${pad(h)}h ${pad(m)}m`;
      if (h > 0) return `${h}h ${pad(m)}m ${pad(s)}s`;
      return `${m}m ${pad(s)}s`;
    },
  },
  mounted() {
    this.fired = this.deadline <= Date.now(); // already past when shown: nothing to announce
    this.timer = setInterval(this.tick, 1000);
    this.tick();
  },
  unmounted() {
    clearInterval(this.timer);
  },
  methods: {
    tick() {
      this.now = Date.now();
      if (!this.fired && this.deadline <= this.now) {
        this.fired = true;
        this.$emit("expired");
      }
    },
  },
  watch: {
    deadline() {
      this.fired = this.deadline <= Date.now();
      this.tick();
    },
  },
};
