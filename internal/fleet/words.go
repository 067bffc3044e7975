package fleet

// The word lists below are the only package-level variables: constant
// vocabularies the generator draws from. They are never written to.

// domainNouns name what a team works on; repositories and teams are named
// after them so a fleet reads like a real company's.
var domainNouns = []string{
	"payments", "ledger", "billing", "invoices", "checkout", "cart", "orders",
	"inventory", "catalog", "pricing", "search", "recommendations", "identity",
	"auth", "accounts", "profiles", "notifications", "email", "sms", "messaging",
	"shipping", "fulfillment", "returns", "refunds", "fraud", "risk", "compliance",
	"audit", "reporting", "analytics", "metrics", "events", "tracking", "ads",
	"campaigns", "loyalty", "rewards", "coupons", "promotions", "reviews",
	"ratings", "media", "images", "video", "uploads", "storage", "documents",
	"contracts", "onboarding", "kyc", "tax", "currency", "settlements", "payouts",
	"subscriptions", "plans", "quotes", "bookings", "reservations", "scheduling",
	"calendar", "maps", "geo", "routing", "dispatch", "drivers", "warehouse",
	"suppliers", "procurement", "vendors", "partners", "merchants", "stores",
	"sellers", "sessions", "tokens", "permissions", "policies", "secrets",
	"config", "flags", "experiments", "feedback", "support", "tickets", "chat",
	"feeds", "content", "cms", "translations", "localization", "seo", "webhooks",
	"exports", "imports", "ingest", "forecasting", "clearing", "disputes",
	"wallets", "cards", "lending", "underwriting", "claims", "quotas", "usage",
	"licensing", "entitlements", "sitemaps", "carriers", "labels", "manifests",
}

// serviceSuffixes end a service repository's name.
var serviceSuffixes = []string{
	"api", "service", "worker", "gateway", "indexer", "scheduler", "processor",
	"consumer", "publisher", "sync", "importer", "exporter", "router", "proxy",
	"backend", "admin", "jobs", "cron", "engine", "manager", "aggregator",
	"collector", "notifier", "validator", "resolver", "store", "cache", "bff",
}

// librarySuffixes end a library repository's name.
var librarySuffixes = []string{
	"lib", "client", "sdk", "common", "core", "utils", "models", "schema", "kit",
	"proto", "testing",
}

// teamSuffixes distinguish teams sharing a focus once the nouns run out.
var teamSuffixes = []string{
	"core", "platform", "infra", "experience", "data", "growth", "edge", "ops",
	"foundations", "tools",
}

// vpAreas name the VP organizations under the root group.
var vpAreas = []string{
	"platform-engineering", "commerce", "data-engineering", "consumer",
	"enterprise", "infrastructure", "security-engineering", "growth-engineering",
	"marketplace-engineering", "fintech", "logistics-engineering", "media-engineering",
	"business-operations", "partner-engineering", "developer-experience",
	"mobile-engineering", "trust-engineering", "ai-engineering",
}

// directorAreas name the director organizations under a VP.
var directorAreas = []string{
	"developer-platform", "money-movement", "trust-safety", "discovery",
	"fulfillment-systems", "identity-access", "merchant-tools", "consumer-apps",
	"data-infrastructure", "observability", "core-services", "marketplace",
	"delivery", "growth-marketing", "customer-care", "risk-compliance",
	"content-platform", "mobile-platform", "web-platform", "billing-systems",
	"search-relevance", "ml-platform", "network-edge", "storage-systems",
	"release-engineering", "integrations", "partner-platform", "insights",
	"commerce-core", "experimentation", "payments-infrastructure", "seller-tools",
	"buyer-experience", "supply-chain", "finance-systems", "internal-tools",
	"communications", "compute", "databases", "reliability",
}

var firstNames = []string{
	"ada", "alan", "alex", "amara", "ana", "anika", "arjun", "ben", "bianca",
	"carlos", "chen", "chloe", "dana", "daniel", "diego", "elena", "emeka",
	"emma", "farah", "felix", "gabriel", "grace", "hana", "hugo", "ines",
	"ivan", "jada", "james", "jane", "javier", "jin", "jonas", "julia", "kai",
	"karim", "kenji", "lara", "leo", "lina", "lucas", "maya", "mei", "mila",
	"mohamed", "nadia", "nina", "noah", "olga", "omar", "priya", "rafael",
	"rahul", "rosa", "ruth", "sam", "sara", "sofia", "tariq", "tomas", "uma",
	"victor", "wei", "yara", "yusuf", "zoe", "aisha", "bruno", "camila", "dmitri",
	"esther", "fatima", "gustavo", "hiro", "isabel", "kofi", "lena", "marco",
	"nora", "oscar", "paula",
}

var lastNames = []string{
	"abebe", "adams", "ahmed", "alvarez", "andersen", "bauer", "becker", "brown",
	"castro", "chan", "clark", "costa", "cruz", "das", "diaz", "dubois", "evans",
	"fischer", "garcia", "gomez", "gupta", "hansen", "hill", "ito", "jensen",
	"kim", "kowalski", "kumar", "larsen", "lee", "lopez", "martin", "mendes",
	"meyer", "miller", "moreau", "murphy", "nakamura", "nguyen", "novak",
	"okafor", "olsen", "park", "patel", "perez", "petrov", "reyes", "rossi",
	"santos", "sato", "schmidt", "silva", "singh", "smith", "suzuki", "tanaka",
	"taylor", "torres", "wagner", "walker", "wang", "weber", "wilson", "wong",
	"yamamoto", "young", "zhang", "zimmer", "ozturk", "haddad", "mensah",
	"lindqvist", "kaur", "ferreira", "ivanova", "moretti", "sandoval", "obi",
}

// timeZones are the offsets authors commit from.
var timeZones = []string{"+0000", "+0000", "-0500", "-0800", "+0100", "+0200", "+0530", "-0300", "+0900"}
