"""Free-mail (consumer webmail) domains: an address there says nothing about the employer.

Lead-to-account matching (`engine/matching.py`) never matches a lead to an account by an
email domain on this list, even when some account record carries that domain (CRMs often
hold `gmail.com` as the "domain" of a one-person account).

Two parts, both matched against the lower-case email domain:

* `FREE_MAIL_DOMAINS` — exact domains (`gmail.com`, `web.de`, `qq.com`, …). A subdomain
  of one (`eu.gmail.com`) counts too.
* `FREE_MAIL_BRANDS` — providers with a domain per country (`yahoo.*`, `hotmail.*`,
  `gmx.*`, …): the brand label followed by a country or generic ending of one or two
  labels, e.g. `yahoo.co.uk`, `hotmail.fr`, `gmx.net`.

Sources: the providers' own sign-up pages and the domains most often seen in B2B form
fills. The list is deliberately short and conservative: a missing free-mail domain only
costs a wrong domain match when some account also carries that domain.
"""

from __future__ import annotations

FREE_MAIL_DOMAINS: frozenset[str] = frozenset({
    # Google
    "gmail.com", "googlemail.com",
    # Microsoft (country variants of hotmail/live/outlook/msn are brands below)
    "passport.com",
    # Apple
    "icloud.com", "me.com", "mac.com",
    # Verizon Media / AOL
    "aol.com", "aim.com", "ymail.com", "rocketmail.com",
    # Proton, Tuta, Zoho, Fastmail, other privacy mail
    "proton.me", "protonmail.com", "protonmail.ch", "pm.me", "tutanota.com", "tuta.io",
    "zohomail.com", "fastmail.com", "fastmail.fm", "hey.com", "hushmail.com",
    # Germany, Austria, Switzerland
    "web.de", "t-online.de", "freenet.de", "posteo.de", "mailbox.org", "arcor.de",
    "bluewin.ch", "gmx.de", "gmx.at", "gmx.ch",
    # France, Italy, Spain, Netherlands, Belgium
    "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr", "laposte.net", "libero.it", "virgilio.it",
    "tiscali.it", "alice.it", "telefonica.net", "ziggo.nl", "kpnmail.nl", "skynet.be",
    "telenet.be",
    # UK, Ireland
    "btinternet.com", "sky.com", "virginmedia.com", "talktalk.net", "ntlworld.com",
    "eircom.net",
    # Nordics, Poland, Czechia
    "wp.pl", "o2.pl", "onet.pl", "interia.pl", "seznam.cz", "centrum.cz",
    # Russia and neighbours
    "mail.ru", "inbox.ru", "list.ru", "bk.ru", "rambler.ru", "ukr.net",
    # China, Korea, Japan, India
    "qq.com", "foxmail.com", "163.com", "126.com", "yeah.net", "sina.com", "sina.cn",
    "sohu.com", "aliyun.com", "naver.com", "daum.net", "hanmail.net", "nate.com",
    "rediffmail.com",
    # Americas
    "comcast.net", "verizon.net", "att.net", "sbcglobal.net", "bellsouth.net", "cox.net",
    "charter.net", "earthlink.net", "juno.com", "shaw.ca", "rogers.com", "sympatico.ca",
    "bol.com.br", "uol.com.br", "terra.com.br",
    # Australia, New Zealand
    "bigpond.com", "bigpond.net.au", "optusnet.com.au", "xtra.co.nz",
    # Generic free hosts
    "mail.com", "email.com", "usa.com", "inbox.com", "lycos.com", "excite.com",
    "rediff.com", "yopmail.com", "mailinator.com", "guerrillamail.com",
})

FREE_MAIL_BRANDS: tuple[str, ...] = (
    "yahoo", "hotmail", "outlook", "live", "msn", "windowslive", "gmx", "yandex", "ya",
    "zoho", "aol",
)
"""Brand labels whose every country domain is free mail (`yahoo.co.jp`, `live.fr`, …)."""

FREE_MAIL_BRAND_PATTERN = (
    r"(^|\.)(" + "|".join(FREE_MAIL_BRANDS) + r")\.([a-z]{2,3}|(co|com|net|org|ne|or)\.[a-z]{2})$"
)
"""RE2/Python regular expression for `FREE_MAIL_BRANDS` on a normalised domain."""
