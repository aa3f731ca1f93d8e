"""NiceGUI pages, grouped `member/`, `admin/` and `public/`. Importing this package registers every `@ui.page`."""

import pages.admin.audit
import pages.admin.drawings
import pages.admin.fulfillment
import pages.admin.mail
import pages.admin.overview
import pages.admin.requests
import pages.admin.review
import pages.admin.sponsors
import pages.admin.system
import pages.admin.user_detail
import pages.admin.users
import pages.member.activity
import pages.member.connections
import pages.member.drawing_detail
import pages.member.drawings
import pages.member.home
import pages.member.leaderboard
import pages.member.prize_claim
import pages.member.profile
import pages.member.settings
import pages.public.dev_mailbox
import pages.public.login
import pages.public.public_profile
import pages.public.register
import pages.public.reset_password
import pages.public.rules
import pages.public.verify_email  # noqa: F401
