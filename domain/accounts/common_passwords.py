"""A small list of common passwords that registration and password resets refuse (PRODUCT.md §3 "checked against a
small list of common passwords"; ASVS 6.2.4). Compared case-insensitively. Drawn from the well-known top lists
(the most-used passwords and their usual lengthenings to 10+ characters)."""

from __future__ import annotations

_WORDS = """
123456 password 12345678 qwerty 123456789 12345 1234 111111 1234567 dragon 123123 baseball abc123 football monkey
letmein 696969 shadow master 666666 qwertyuiop 123321 mustang 1234567890 michael 654321 superman 1qaz2wsx 7777777
121212 000000 qazwsx 123qwe killer trustno1 jordan jennifer zxcvbnm asdfgh hunter buster soccer harley batman
andrew tigger sunshine iloveyou 2000 charlie robert thomas hockey ranger daniel starwars klaster 112233 george
computer michelle jessica pepper 1111 zxcvbn 555555 11111111 131313 freedom 777777 pass maggie 159753 aaaaaa
ginger princess joshua cheese amanda summer love ashley nicole chelsea biteme matthew access yankees 987654321
dallas austin thunder taylor matrix minecraft welcome welcome1 welcome123 password1 password12 password123
password1234 password12345 passw0rd p@ssw0rd p@ssword1 qwerty123 qwerty1234 qwertyuiop1 qwerty12345 1q2w3e4r
1q2w3e4r5t 1q2w3e4r5t6y q1w2e3r4t5 q1w2e3r4t5y6 zaq12wsx zaq1zaq1 1qaz2wsx3edc qazwsxedc qazwsxedcrfv
0123456789 0987654321 9876543210 1122334455 1234512345 12341234 1234554321 0000000000 1111111111 2222222222
123123123 123456789a 123456789q a123456789 abcd1234 abcdefgh abcdefghij abcdef123 abc123456 abc1234567
iloveyou1 iloveyou12 iloveyou123 iloveyou2 sunshine1 sunshine12 princess1 princess12 football1 football12
baseball1 basketball basketball1 superman1 superman12 letmein123 letmeinnow trustno1trustno1 monkey123 dragon123
shadow123 master123 michael123 charlie123 jordan23 jordan2323 starwars1 starwars12 whatever whatever1 whatever12
changeme changeme1 changeme123 administrator admin123 admin12345 adminadmin root1234 toor123456 default123
secret123 secret1234 mypassword mypassword1 yourpassword newpassword newpassword1 passwordpassword
loveyou123 lovely123 liverpool liverpool1 chelsea123 arsenal123 manchester computer1 computer123 internet
internet1 samsung123 google123 facebook facebook1 microsoft linkedin123 fitness123 fittrack fittrack123
fittrack2024 fittrack2025 fittrack2026 workout123 running123 marathon26 summer2024 summer2025 winter2024
spring2025 autumn2025 january2025 december2025 football2025 baseball2025 qwertyasdf asdfghjkl asdfghjkl1
zxcvbnm123 zxcvbnm1234 qweasdzxc qweasdzxc123 1qazxsw2 aa12345678 aaaaaaaaaa abcabcabc1 trustnoone
"""
COMMON_PASSWORDS: frozenset[str] = frozenset(_WORDS.split())


def is_common_password(password: str) -> bool:
    """True when `password` (case-insensitively, surrounding spaces ignored) is on the common-password list."""
    return password.strip().lower() in COMMON_PASSWORDS
