"""Web plumbing shared by pages and the API: page sign-in, live push, the Terra webhook route, downloads."""
