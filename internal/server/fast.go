package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/paved-dev/paved"
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

// Limits of what a request may send. fasthttp reads a body whole before
// the handler: the largest any route reads is 4 MiB (a standards
// forecast). Headers get what browsers and proxies commonly allow.
const (
	maxRequestBody   = 5 << 20
	maxRequestHeader = 16 << 10
)

// FastServer is the fasthttp server `paved serve` runs: FastHandler, the
// limits above, and malformed requests answered as API errors.
func (s *Server) FastServer() *fasthttp.Server {
	return &fasthttp.Server{
		Handler:      s.FastHandler(),
		ErrorHandler: s.fastRequestError,
		// A request has 30 s to arrive once its first byte has; an idle
		// keep-alive connection is closed after two minutes.
		ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
		MaxRequestBodySize: maxRequestBody, ReadBufferSize: maxRequestHeader,
		NoDefaultServerHeader: true,
	}
}

// fastRequestError answers a request fasthttp could not read (fasthttp
// then closes the connection).
func (s *Server) fastRequestError(c *fasthttp.RequestCtx, err error) {
	status, msg := http.StatusBadRequest, fmt.Sprintf("Malformed HTTP request: %v.", err)
	var small *fasthttp.ErrSmallBuffer
	var netErr net.Error
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		status, msg = http.StatusRequestEntityTooLarge, fmt.Sprintf("The request body is over %d MiB.", maxRequestBody>>20)
	case errors.As(err, &small):
		status, msg = http.StatusRequestHeaderFieldsTooLarge, fmt.Sprintf("The request's headers are over %d KiB.", maxRequestHeader>>10)
	case errors.As(err, &netErr) && netErr.Timeout():
		status, msg = http.StatusRequestTimeout, "The request did not arrive in time."
	}
	body, _ := json.MarshalIndent(&paved.Error{Code: paved.EINVALID, Message: msg}, "", "  ")
	c.SetStatusCode(status)
	c.SetContentType(jsonContentType)
	c.SetBody(append(body, '\n'))
}

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
	var req paved.DecisionRequest
	if err := decodeDecisionRequest(c.PostBody(), &req); err != nil {
		s.fastError(c, err)
		return
	}
	buf := answerBuffers.Get().(*[]byte)
	defer putAnswerBuffer(buf)
	b, err := s.decide(c, actor, &req, (*buf)[:0])
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
