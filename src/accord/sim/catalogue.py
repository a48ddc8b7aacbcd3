"""The simulated company's fixed vocabulary: regions, industries, channels, campaigns, names.

Everything here is independent of the seed, so effects files can name a campaign, a
landing page, a channel or an industry and mean the same thing in every run. Weights are
the simulator's own assumptions (documented in `docs/simulator.md`), not measured data.
"""

from __future__ import annotations

from dataclasses import dataclass

REGIONS: tuple[str, ...] = ("na", "emea", "apac")
REGION_WEIGHTS: tuple[float, ...] = (0.5, 0.3, 0.2)
# Hours to add to local time to get UTC (standard time; daylight saving is ignored).
REGION_UTC_OFFSET_HOURS: tuple[int, ...] = (5, -1, -8)
# Hours to add to a zone's local (standard) time to get UTC; reps work in their own zone.
TIMEZONE_UTC_OFFSET_HOURS: dict[str, int] = {
    "America/New_York": 5, "America/Chicago": 6, "America/Los_Angeles": 8,
    "Europe/London": 0, "Europe/Berlin": -1, "Europe/Amsterdam": -1,
    "Asia/Singapore": -8, "Australia/Sydney": -10, "Asia/Tokyo": -9,
}
REGION_TIMEZONES: dict[str, tuple[str, ...]] = {
    "na": ("America/New_York", "America/Chicago", "America/Los_Angeles"),
    "emea": ("Europe/London", "Europe/Berlin", "Europe/Amsterdam"),
    "apac": ("Asia/Singapore", "Australia/Sydney", "Asia/Tokyo"),
}

# (country, region, weight within region, web top-level domain, legal suffixes)
COUNTRIES: tuple[tuple[str, str, float, str, tuple[str, ...]], ...] = (
    ("US", "na", 0.82, "com", ("Inc", "Inc.", "LLC", "Corp")),
    ("CA", "na", 0.18, "ca", ("Inc", "Ltd", "Corp")),
    ("GB", "emea", 0.30, "co.uk", ("Ltd", "Limited", "PLC")),
    ("DE", "emea", 0.25, "de", ("GmbH", "AG")),
    ("FR", "emea", 0.15, "fr", ("SAS", "SA")),
    ("NL", "emea", 0.12, "nl", ("BV", "B.V.")),
    ("ES", "emea", 0.08, "es", ("SL", "SA")),
    ("SE", "emea", 0.10, "se", ("AB",)),
    ("AU", "apac", 0.35, "com.au", ("Pty Ltd", "Ltd")),
    ("SG", "apac", 0.25, "sg", ("Pte Ltd",)),
    ("JP", "apac", 0.20, "jp", ("KK", "Co Ltd")),
    ("IN", "apac", 0.20, "in", ("Pvt Ltd", "Ltd")),
)

# (industry, share of accounts, revenue per employee in USD)
INDUSTRIES: tuple[tuple[str, float, float], ...] = (
    ("software", 0.20, 220_000.0),
    ("fintech", 0.10, 300_000.0),
    ("healthcare", 0.12, 150_000.0),
    ("manufacturing", 0.14, 180_000.0),
    ("retail", 0.10, 120_000.0),
    ("education", 0.07, 90_000.0),
    ("logistics", 0.09, 160_000.0),
    ("media", 0.06, 170_000.0),
    ("professional_services", 0.12, 140_000.0),
)

SEGMENTS: tuple[str, ...] = ("smb", "mid_market", "enterprise")
# Segment by employee count: smb below 100, mid_market below 1000, enterprise from 1000
# (the starter contract routes accounts with employees >= 1000 to enterprise AEs).
SEGMENT_EMPLOYEE_BOUNDS: tuple[int, int] = (100, 1000)

# Acquisition channels (a lead's `channel`) with their share of leads, monthly cost per lead
# (USD) and the signal intent mix of the converting touch (hand_raise, high, medium, low).
# Preferred signal names get extra weight within their intent level when the contract has them.
@dataclass(frozen=True)
class Channel:
    name: str
    share: float
    cost_per_lead: float
    first_touch_intent: tuple[float, float, float, float]
    preferred_signals: tuple[str, ...] = ()


CHANNELS: tuple[Channel, ...] = (
    Channel("paid_search", 0.20, 140.0, (0.30, 0.35, 0.15, 0.20), ("demo_request", "pricing_page")),
    Channel("paid_social", 0.16, 95.0, (0.10, 0.20, 0.30, 0.40), ("whitepaper",)),
    Channel("organic_search", 0.18, 25.0, (0.25, 0.35, 0.20, 0.20), ("pricing_page",)),
    Channel("content_syndication", 0.14, 60.0, (0.00, 0.05, 0.35, 0.60),
            ("whitepaper", "case_study")),
    Channel("webinar", 0.10, 110.0, (0.05, 0.10, 0.80, 0.05), ("webinar_attended",)),
    Channel("events", 0.08, 260.0, (0.15, 0.20, 0.45, 0.20), ("case_study",)),
    Channel("referral", 0.07, 80.0, (0.55, 0.25, 0.10, 0.10), ("contact_sales",)),
    Channel("partner", 0.07, 120.0, (0.40, 0.30, 0.20, 0.10), ("contact_sales",)),
)
ACQUISITION_CHANNELS: tuple[str, ...] = tuple(c.name for c in CHANNELS)
# Channels that only carry later touches (nurture), never create leads.
TOUCH_ONLY_CHANNELS: tuple[str, ...] = ("email",)
TOUCH_CHANNELS: tuple[str, ...] = ACQUISITION_CHANNELS + TOUCH_ONLY_CHANNELS
# Later touches: channel mix by intent level (hand_raise, high, medium, low) over TOUCH_CHANNELS.
LATER_TOUCH_CHANNELS: dict[str, tuple[float, ...]] = {
    #              psearch psocial organic synd  webinar events referral partner email
    "hand_raise": (0.30, 0.05, 0.40, 0.00, 0.00, 0.05, 0.00, 0.00, 0.20),
    "high": (0.25, 0.10, 0.40, 0.00, 0.00, 0.00, 0.00, 0.00, 0.25),
    "medium": (0.05, 0.10, 0.20, 0.15, 0.25, 0.05, 0.00, 0.00, 0.20),
    "low": (0.05, 0.20, 0.10, 0.10, 0.00, 0.00, 0.00, 0.00, 0.55),
}
INTENT_LEVELS: tuple[str, ...] = ("hand_raise", "high", "medium", "low")

# B2B demand by calendar month (Jan..Dec): slow summer and December, spring and autumn peaks.
MONTH_SEASONALITY: tuple[float, ...] = (
    0.95, 1.05, 1.15, 1.10, 1.05, 0.95, 0.75, 0.70, 1.10, 1.20, 1.10, 0.80,
)
WEEKDAY_WEIGHTS: tuple[float, ...] = (1.0, 1.1, 1.1, 1.05, 0.9, 0.25, 0.2)  # Mon..Sun


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    name: str
    channel: str
    landing_page: str
    first_month: int  # 0-based month of the simulated period it starts in
    last_month: int | None  # inclusive; None runs to the end of the period
    weight: float = 1.0


CAMPAIGNS: tuple[Campaign, ...] = (
    Campaign("cmp_paid_search_01", "Brand search", "paid_search", "/lp/demo", 0, None, 1.5),
    Campaign("cmp_paid_search_02", "Category keywords", "paid_search", "/lp/roi-calculator",
             0, None, 1.2),
    Campaign("cmp_paid_search_03", "Competitor comparison", "paid_search", "/lp/compare", 2, None),
    Campaign("cmp_paid_social_01", "LinkedIn lead gen forms", "paid_social", "/lp/alignment-guide",
             0, None, 1.5),
    Campaign("cmp_paid_social_02", "Retargeting", "paid_social", "/lp/demo", 0, None),
    Campaign("cmp_paid_social_03", "ROI calculator promo", "paid_social", "/lp/roi-calculator",
             4, 9),
    Campaign("cmp_content_syndication_01", "Analyst report syndication", "content_syndication",
             "/lp/analyst-report", 0, None, 1.3),
    Campaign("cmp_content_syndication_02", "Ebook network", "content_syndication", "/lp/ebook",
             0, None),
    Campaign("cmp_webinar_01", "Q1 webinar: pipeline reviews", "webinar", "/lp/webinar-q1", 0, 2),
    Campaign("cmp_webinar_02", "Q2 webinar: SLAs that work", "webinar", "/lp/webinar-q2", 3, 5),
    Campaign("cmp_webinar_03", "Q3 webinar: lead scoring", "webinar", "/lp/webinar-q3", 6, 8),
    Campaign("cmp_webinar_04", "Q4 webinar: planning", "webinar", "/lp/webinar-q4", 9, 11),
    Campaign("cmp_events_01", "Spring conference", "events", "/lp/events", 2, 4, 1.5),
    Campaign("cmp_events_02", "Autumn summit", "events", "/lp/events", 8, 10, 1.5),
    Campaign("cmp_events_03", "City roadshow", "events", "/lp/roadshow", 0, None),
    Campaign("cmp_referral_01", "Customer referral programme", "referral", "/lp/referral", 0, None),
    Campaign("cmp_partner_01", "Reseller co-marketing", "partner", "/lp/partners", 0, None),
    Campaign("cmp_partner_02", "Integration marketplace", "partner", "/lp/integrations", 0, None),
    Campaign("cmp_email_01", "Monthly newsletter", "email", "/lp/newsletter", 0, None),
    Campaign("cmp_email_02", "Product update series", "email", "/lp/whats-new", 0, None),
)
# Organic leads come without a campaign, landing on one of these pages.
ORGANIC_LANDING_PAGES: tuple[str, ...] = ("/", "/pricing", "/blog/sla-template", "/blog/mql-vs-sql")
# Channels whose spend is known only per month and channel (no campaign rows).
CHANNEL_LEVEL_SPEND: tuple[str, ...] = ("organic_search",)

# (title, share of leads, is_student)
TITLES: tuple[tuple[str, float, bool], ...] = (
    ("VP Marketing", 0.05, False),
    ("VP Sales", 0.04, False),
    ("Head of Revenue Operations", 0.04, False),
    ("Head of Demand Generation", 0.04, False),
    ("Director of Sales", 0.06, False),
    ("Director of Marketing", 0.06, False),
    ("Chief Revenue Officer", 0.02, False),
    ("Chief Marketing Officer", 0.02, False),
    ("Marketing Manager", 0.12, False),
    ("Sales Manager", 0.09, False),
    ("Account Executive", 0.08, False),
    ("Marketing Operations Specialist", 0.07, False),
    ("Business Analyst", 0.08, False),
    ("Software Engineer", 0.07, False),
    ("Consultant", 0.10, False),
    ("Student", 0.04, True),
    ("Intern", 0.02, True),
)

FREE_MAIL_DOMAINS: tuple[str, ...] = ("gmail.com", "yahoo.com", "outlook.com")

FIRST_NAMES: tuple[str, ...] = (
    "Aaron", "Abigail", "Adam", "Aisha", "Alex", "Alice", "Amara", "Amelia", "Ana", "Andrea",
    "Anna", "Arjun", "Ava", "Ben", "Bianca", "Carla", "Carlos", "Chen", "Chloe", "Chris",
    "Clara", "Daniel", "David", "Diana", "Elena", "Eli", "Emily", "Emma", "Eric", "Eva",
    "Fatima", "Felix", "Finn", "Gabriel", "Grace", "Hana", "Hannah", "Hugo", "Ian", "Ines",
    "Isaac", "Ivan", "Jack", "James", "Jan", "Jana", "Javier", "Jin", "Johan", "John",
    "Julia", "Kai", "Karin", "Kenji", "Laura", "Leo", "Lena", "Liam", "Lina", "Lucas",
    "Lucy", "Maya", "Marco", "Maria", "Mark", "Mateo", "Mei", "Mia", "Michael", "Mila",
    "Nadia", "Noah", "Nora", "Olivia", "Omar", "Oscar", "Paul", "Priya", "Rafael", "Rahul",
    "Rosa", "Ryan", "Sara", "Sam", "Sofia", "Sophie", "Stefan", "Tara", "Thomas", "Tim",
    "Uma", "Victor", "Wei", "Yara", "Yuki", "Zara", "Zoe", "Noor", "Pedro", "Ravi",
)
LAST_NAMES: tuple[str, ...] = (
    "Adams", "Ahmed", "Alvarez", "Andersson", "Baker", "Bauer", "Becker", "Bennett", "Brown",
    "Campbell", "Chen", "Clarke", "Cohen", "Costa", "Davies", "Dubois", "Evans", "Fischer",
    "Fernandez", "Garcia", "Gonzalez", "Gupta", "Hall", "Hansen", "Harris", "Hoffmann", "Hughes",
    "Ito", "Jansen", "Jensen", "Johnson", "Jones", "Kato", "Khan", "Kim", "King", "Klein",
    "Kumar", "Larsen", "Laurent", "Lee", "Lewis", "Lopez", "Martin", "Martinez", "Meyer",
    "Miller", "Moore", "Moreau", "Muller", "Murphy", "Nakamura", "Nguyen", "Nielsen", "Novak",
    "OBrien", "Park", "Patel", "Perez", "Peters", "Petrov", "Reddy", "Richter", "Roberts",
    "Rodriguez", "Rossi", "Sanchez", "Sato", "Schmidt", "Schneider", "Scott", "Shah", "Silva",
    "Singh", "Smith", "Suzuki", "Svensson", "Tanaka", "Taylor", "Thomas", "Tran", "Turner",
    "Varga", "Wagner", "Walker", "Wang", "Watanabe", "Weber", "White", "Williams", "Wilson",
    "Wong", "Wright", "Yamamoto", "Young", "Zhang", "Ziegler", "Berg", "Lindqvist",
)

# Company names are `<A> <B>` and, past their product, `<A> <B> <C>`; every account name is
# unique and its domain is the name without spaces, lower case, plus the country's TLD.
COMPANY_WORDS_A: tuple[str, ...] = (
    "Acme", "Apex", "Arbor", "Atlas", "Aurora", "Beacon", "Birch", "Blue", "Bright", "Cedar",
    "Cobalt", "Copper", "Coral", "Crest", "Crimson", "Delta", "Ember", "Evergreen", "Falcon",
    "Fern", "Fjord", "Golden", "Granite", "Harbor", "Helix", "Indigo", "Iron", "Juniper",
    "Keystone", "Lumen", "Maple", "Meridian", "Nimbus", "Nova", "Oak", "Onyx", "Orbit",
    "Pacific", "Pine", "Polar", "Prism", "Quartz", "Radiant", "Redwood", "River", "Sable",
    "Sage", "Sierra", "Silver", "Solar", "Spruce", "Stone", "Summit", "Swift", "Terra",
    "Tidal", "Vertex", "Willow", "Zenith", "Zephyr",
)
COMPANY_WORDS_B: tuple[str, ...] = (
    "Analytics", "Bank", "Bio", "Brands", "Capital", "Cloud", "Commerce", "Consulting",
    "Data", "Devices", "Digital", "Dynamics", "Energy", "Engineering", "Foods", "Freight",
    "Group", "Health", "Holdings", "Industries", "Insights", "Labs", "Learning", "Logic",
    "Logistics", "Machines", "Media", "Medical", "Metrics", "Mobility", "Networks", "Partners",
    "Payments", "Pharma", "Platforms", "Retail", "Robotics", "Security", "Software", "Solutions",
    "Studios", "Systems", "Technologies", "Telecom", "Therapeutics", "Trading", "Ventures",
    "Works", "Wealth", "Vision",
)
COMPANY_WORDS_C: tuple[str, ...] = (
    "Global", "International", "Europe", "America", "Asia", "North", "South", "East", "West",
    "One", "Plus", "Pro", "Direct", "Associates", "Worldwide", "United", "Central", "Prime",
    "Nordic", "Atlantic",
)
