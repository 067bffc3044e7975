package server

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
)

// The gate's decisions are asked thousands of times a second, and on two
// cores net/http's own work (a goroutine's request and response objects,
// canonical header maps, a flush per answer) cost about 12 µs of CPU a
// request more than fasthttp's, which reuses all of them: a fifth of what
// a decision costs in all. So `paved serve` accepts connections with
// fasthttp. Decision requests are answered by fasthttp directly; every
// other request goes to the net/http handler (the routes of routes.go)
// through fasthttp's adaptor, unchanged.

const gateDecisionsPath = "/api/v1/gate/decisions"

// FastHandler serves every route: gate decisions natively, the rest
// through the http.Handler the server is.
func (s *Server) FastHandler() fasthttp.RequestHandler {
	slow := fasthttpadaptor.NewFastHTTPHandler(s)
	return func(c *fasthttp.RequestCtx) {
		if !c.IsPost() || string(c.Path()) != gateDecisionsPath || s.fromTrustedProxy(c) {
			slow(c)
			return
		}
		s.fastGateDecision(c)
	}
}

// fromTrustedProxy tells whether a request names its user by the trusted
// proxy's header: those take the net/http path, which knows proxies.
func (s *Server) fromTrustedProxy(c *fasthttp.RequestCtx) bool {
	return s.TrustedProxy != nil && len(c.Request.Header.Peek(s.TrustedProxy.Header)) > 0
}

// fastGateDecision is POST /api/v1/gate/decisions as routes.go registers
// it (authenticated, not audited: a decision is its own record), over
// fasthttp.
func (s *Server) fastGateDecision(c *fasthttp.RequestCtx) {
	actor, err := s.bearerActor(c, string(c.Request.Header.Peek("Authorization")))
	if err != nil {
		s.fastError(c, err)
		return
	}
	buf := answerBuffers.Get().(*[]byte)
	defer putAnswerBuffer(buf)
	b, err := s.decide(c, actor, bytes.NewReader(c.PostBody()), (*buf)[:0])
	*buf = b
	if err != nil {
		s.fastError(c, err)
		return
	}
	c.SetContentType(jsonContentType)
	c.SetBody(b) // copies: the buffer goes back to the pool
}

// fastError writes an API error as the net/http path does (api, in
// server.go).
func (s *Server) fastError(c *fasthttp.RequestCtx, err error) {
	status, e := s.apiError(string(c.Method()), string(c.Path()), err)
	if status == http.StatusUnauthorized {
		c.Response.Header.Set("WWW-Authenticate", bearerChallenge)
	}
	body, _ := json.MarshalIndent(e, "", "  ")
	c.SetStatusCode(status)
	c.SetContentType(jsonContentType)
	c.SetBody(append(body, '\n'))
}
