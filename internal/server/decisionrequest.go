package server

import (
	"bytes"

	"github.com/paved-dev/paved"
)

// decisionExample is the shape of a decision request, for its errors.
const decisionExample = `{"service": "payments-api", "version": "1.4.2", "environment": "production", "requester": "ci:release"}`

// decodeDecisionRequest decodes a decision request's body as decodeJSON
// does, with the same result and the same errors. A pipeline's request is
// a flat object of plain strings, and scanDecisionRequest reads that
// without encoding/json's decoder, which costs more (its state and read
// buffer) than the rest of a decision; any other body goes to decodeJSON.
func decodeDecisionRequest(body []byte, req *paved.DecisionRequest) error {
	if scanDecisionRequest(body, req) {
		return nil
	}
	*req = paved.DecisionRequest{}
	return decodeJSON(bytes.NewReader(body), req, decisionExample)
}

// scanDecisionRequest reads body into req if body is an object whose keys
// are the request's own names, exactly as spelled, and whose values are
// strings of printable ASCII without escapes, followed by nothing but
// white space. It reports false for anything else, leaving req partly
// filled. Where it reports true, encoding/json decodes the same request
// (FuzzScanDecisionRequest holds it to that).
func scanDecisionRequest(body []byte, req *paved.DecisionRequest) bool {
	if len(body) > maxBodyJSON {
		return false
	}
	i := skipSpace(body, 0)
	if i == len(body) || body[i] != '{' {
		return false
	}
	i = skipSpace(body, i+1)
	if i < len(body) && body[i] == '}' {
		return skipSpace(body, i+1) == len(body)
	}
	for {
		key, next, ok := plainString(body, i)
		if !ok {
			return false
		}
		if i = skipSpace(body, next); i == len(body) || body[i] != ':' {
			return false
		}
		value, next, ok := plainString(body, skipSpace(body, i+1))
		if !ok {
			return false
		}
		var field *string
		switch string(key) { // compared without allocating
		case "service":
			field = &req.Service
		case "version":
			field = &req.Version
		case "commit":
			field = &req.Commit
		case "environment":
			field = &req.Environment
		case "requester":
			field = &req.Requester
		default:
			return false
		}
		*field = string(value) // a later duplicate wins, as in encoding/json
		if i = skipSpace(body, next); i == len(body) {
			return false
		}
		switch body[i] {
		case ',':
			i = skipSpace(body, i+1)
		case '}':
			return skipSpace(body, i+1) == len(body)
		default:
			return false
		}
	}
}

// plainString reads a JSON string at body[i] whose characters are
// printable ASCII other than quote and backslash: it returns the
// characters and the index after the closing quote.
func plainString(body []byte, i int) (s []byte, next int, ok bool) {
	if i >= len(body) || body[i] != '"' {
		return nil, 0, false
	}
	for j := i + 1; j < len(body); j++ {
		switch c := body[j]; {
		case c == '"':
			return body[i+1 : j], j + 1, true
		case c < 0x20 || c > 0x7e || c == '\\':
			return nil, 0, false
		}
	}
	return nil, 0, false
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON white space.
func skipSpace(body []byte, i int) int {
	for i < len(body) {
		switch body[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}
