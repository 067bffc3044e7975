package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes registers every route the server has. Keep this the only place.
func (s *Server) routes() {
	// m records the API's routes, which the OpenAPI document must describe
	// (openapi_test.go).
	m := &routeRecorder{mux: s.mux, api: &s.apiRoutes}
	// Health and metrics.
	m.HandleFunc("GET /healthz", s.handleHealthz)
	m.HandleFunc("GET /readyz", s.handleReadyz)
	if s.Registry != nil {
		m.Handle("GET /metrics", promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{}))
	}

	// JSON API.
	m.HandleFunc("GET /api/v1/entities", s.api(s.handleEntityList))
	m.HandleFunc("GET /api/v1/entities/facets", s.api(s.handleEntityFacets))
	m.HandleFunc("GET /api/v1/entities/{kind}/{namespace}/{name}", s.api(s.handleEntityGet))
	m.HandleFunc("GET /api/v1/services/{name}/facts", s.api(s.handleFactsGet))
	m.HandleFunc("POST /api/v1/services/{name}/facts", s.api(s.authenticated(s.handleFactPush)))
	m.HandleFunc("GET /api/v1/org/tree", s.api(s.handleOrgTree))
	m.HandleFunc("GET /api/v1/problems", s.api(s.handleProblemList))
	m.HandleFunc("GET /api/v1/repositories", s.api(s.handleRepositoryList))
	m.HandleFunc("GET /api/v1/services/{name}/scorecard", s.api(s.handleServiceScorecard))
	m.HandleFunc("GET /api/v1/scorecards", s.api(s.handleScorecards))
	m.HandleFunc("GET /api/v1/scorecards/checks/{id}", s.api(s.handleScorecardCheck))
	m.HandleFunc("GET /api/v1/scorecards/report", s.api(s.handleScorecardReport))
	m.HandleFunc("GET /api/v1/scorecards/history", s.api(s.handleScorecardHistory))
	m.HandleFunc("GET /api/v1/reports/org", s.api(s.handleOrgReport))
	// A forecast stores nothing but grades the whole fleet twice, so it
	// asks for a token like a write.
	m.HandleFunc("POST /api/v1/scorecards/forecast", s.api(s.authenticated(s.handleScorecardForecast)))
	// The deploy gate. Decisions are asked by pipelines with ci: tokens
	// scoped to their services; waivers and approvals by people.
	m.HandleFunc("POST /api/v1/gate/decisions", s.api(s.authenticatedRecorded(s.handleGateDecision)))
	m.HandleFunc("GET /api/v1/gate/decisions", s.api(s.handleGateDecisionList))
	m.HandleFunc("GET /api/v1/gate/decisions/{id}", s.api(s.handleGateDecisionGet))
	m.HandleFunc("POST /api/v1/waivers", s.api(s.authenticated(s.handleWaiverRequest)))
	m.HandleFunc("GET /api/v1/waivers", s.api(s.handleWaiverList))
	m.HandleFunc("POST /api/v1/waivers/{id}/{action}", s.api(s.authenticated(s.handleWaiverAction)))
	m.HandleFunc("GET /api/v1/approvals", s.api(s.handleApprovalList))
	m.HandleFunc("POST /api/v1/approvals/{id}/{action}", s.api(s.authenticated(s.handleApprovalAction)))
	m.HandleFunc("GET /api/v1/audit", s.api(s.authenticated(s.handleAuditList)))
	// Feeds, subscriptions, webhooks and the digest (docs/feed.md). A
	// person's feed, subscriptions and digest are the token's user's.
	m.HandleFunc("GET /api/v1/feed", s.api(s.authenticated(s.handleMyFeed)))
	m.HandleFunc("POST /api/v1/feed/read", s.api(s.authenticated(s.handleFeedRead)))
	m.HandleFunc("GET /api/v1/teams/{name}/feed", s.api(s.handleTeamFeed))
	m.HandleFunc("GET /api/v1/services/{name}/feed", s.api(s.handleServiceFeed))
	m.HandleFunc("GET /api/v1/subscriptions", s.api(s.authenticated(s.handleSubscriptionList)))
	m.HandleFunc("POST /api/v1/subscriptions", s.api(s.authenticated(s.handleSubscriptionCreate)))
	m.HandleFunc("DELETE /api/v1/subscriptions", s.api(s.authenticated(s.handleSubscriptionDelete)))
	m.HandleFunc("DELETE /api/v1/subscriptions/{id}", s.api(s.authenticated(s.handleSubscriptionDelete)))
	m.HandleFunc("GET /api/v1/webhooks", s.api(s.authenticated(s.handleWebhookList)))
	m.HandleFunc("POST /api/v1/webhooks", s.api(s.authenticated(s.handleWebhookCreate)))
	m.HandleFunc("DELETE /api/v1/webhooks/{id}", s.api(s.authenticated(s.handleWebhookDelete)))
	m.HandleFunc("GET /api/v1/webhooks/{id}/deliveries", s.api(s.authenticated(s.handleWebhookDeliveries)))
	m.HandleFunc("GET /api/v1/deliveries", s.api(s.authenticated(s.handleDeliveries)))
	m.HandleFunc("GET /api/v1/digest", s.api(s.authenticated(s.handleDigest)))
	m.HandleFunc("GET /api/v1/openapi.json", s.handleOpenAPI)
	// Campaigns and their change requests (docs/campaigns.md).
	m.HandleFunc("GET /api/v1/campaigns", s.api(s.handleCampaignList))
	m.HandleFunc("POST /api/v1/campaigns", s.api(s.authenticated(s.handleCampaignApply)))
	m.HandleFunc("GET /api/v1/campaigns/{id}", s.api(s.handleCampaignGet))
	m.HandleFunc("GET /api/v1/campaigns/{id}/versions", s.api(s.handleCampaignVersions))
	m.HandleFunc("GET /api/v1/campaigns/{id}/targets", s.api(s.handleCampaignTargets))
	m.HandleFunc("POST /api/v1/campaigns/{id}/plan", s.api(s.authenticated(s.handleCampaignPlan)))
	m.HandleFunc("POST /api/v1/campaigns/{id}/run", s.api(s.authenticated(s.handleCampaignRun)))
	m.HandleFunc("POST /api/v1/campaigns/{id}/waivers", s.api(s.authenticated(s.handleCampaignWaive)))
	m.HandleFunc("POST /api/v1/campaigns/{id}/{action}", s.api(s.authenticated(s.handleCampaignPause)))
	m.HandleFunc("GET /api/v1/changes", s.api(s.handleChangeList))
	m.HandleFunc("GET /api/v1/changes/{id}", s.api(s.handleChangeGet))
	m.HandleFunc("POST /api/v1/changes/{id}/{action}", s.api(s.authenticated(s.handleChangeAction)))
	m.HandleFunc("/api/", s.api(s.handleAPINotFound))

	// Atom feeds for feed readers.
	m.HandleFunc("GET /feeds/teams/{file}", s.atom(s.handleTeamAtom))
	m.HandleFunc("GET /feeds/services/{file}", s.atom(s.handleServiceAtom))

	// Pages.
	m.HandleFunc("GET /static/", s.handleStatic)
	m.HandleFunc("GET /{$}", s.page(s.handleHome))
	m.HandleFunc("POST /feed/read", s.page(s.action(maxForm, s.handleFeedReadPage)))
	m.HandleFunc("GET /catalog", s.page(s.handleCatalogPage))
	m.HandleFunc("GET /catalog/{kind}/{namespace}/{name}", s.page(s.handleEntityPage))
	m.HandleFunc("GET /catalog/{kind}/{namespace}/{name}/events", s.page(s.handleServiceEventsPage))
	m.HandleFunc("GET /scorecards", s.page(s.handleScorecardsPage))
	m.HandleFunc("GET /scorecards/checks/{id}", s.page(s.handleCheckPage))
	m.HandleFunc("GET /scorecards/forecast", s.page(s.handleForecastPage))
	m.HandleFunc("POST /scorecards/forecast", s.page(s.action(maxProposal+4096, s.handleForecastSubmit)))
	m.HandleFunc("GET /org", s.page(s.handleOrgPage))
	m.HandleFunc("GET /org/report.csv", s.page(s.handleOrgReportCSV))
	m.HandleFunc("GET /problems", s.page(s.handleProblemsPage))
	m.HandleFunc("GET /gate", s.page(s.handleGatePage))
	m.HandleFunc("GET /gate/decisions/{id}", s.page(s.handleDecisionPage))
	m.HandleFunc("GET /gate/waivers", s.page(s.handleWaiversPage))
	m.HandleFunc("POST /gate/waivers", s.page(s.action(maxForm, s.handleWaiverRequestPage)))
	m.HandleFunc("POST /gate/waivers/{id}", s.page(s.action(maxForm, s.handleWaiverActionPage)))
	m.HandleFunc("GET /gate/approvals", s.page(s.handleApprovalsPage))
	m.HandleFunc("POST /gate/approvals/{id}", s.page(s.action(maxForm, s.handleApprovalActionPage)))
	m.HandleFunc("GET /campaigns", s.page(s.handleCampaignsPage))
	m.HandleFunc("GET /campaigns/{id}", s.page(s.handleCampaignPage))
	m.HandleFunc("POST /campaigns/{id}", s.page(s.action(maxForm, s.handleCampaignActionPage)))
	m.HandleFunc("GET /changes/{id}", s.page(s.handleChangePage))
	m.HandleFunc("POST /changes/{id}", s.page(s.action(maxForm, s.handleChangeActionPage)))
	m.HandleFunc("GET /api/docs", s.page(s.handleAPIDocsPage))
	m.HandleFunc("GET /login", s.page(s.handleLoginPage))
	m.HandleFunc("POST /login", s.page(s.handleLogin))
	m.HandleFunc("POST /logout", s.page(s.handleLogout))
	m.HandleFunc("/", s.page(s.handleNotFoundPage))
}

var _ http.Handler = (*Server)(nil)
