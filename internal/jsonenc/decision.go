package jsonenc

import (
	"strconv"

	"github.com/paved-dev/paved"
)

// The gate answers and records tens of thousands of decisions a second, so
// a decision is encoded once, by hand: its content (DecisionContent) is
// both the stored document and, behind the id, time and actor, the answer
// (Decision).

// Decision appends d as encoding/json would, by its struct tags (in
// another order), using d.Content when it is set.
func Decision(b []byte, d *paved.Decision) ([]byte, error) {
	content := d.Content
	if content == nil {
		var err error
		if content, err = DecisionContent(nil, d); err != nil {
			return nil, err
		}
	}
	var err error
	b = append(b, `{"decision_id":`...)
	b = String(b, d.ID)
	b = append(b, `,"at":`...)
	if b, err = Time(b, d.At); err != nil {
		return nil, err
	}
	b = append(b, `,"actor":`...)
	b = String(b, d.Actor)
	b = append(b, ',')
	return append(b, content[1:]...), nil
}

// DecisionContent appends the JSON object of d's fields but ID, At and
// Actor.
func DecisionContent(b []byte, d *paved.Decision) ([]byte, error) {
	b, err := DecisionContentHead(b, d)
	if err != nil {
		return nil, err
	}
	return DecisionContentTail(DecisionRequest(b, &d.Request), d)
}

// DecisionContentHead, DecisionRequest and DecisionContentTail append
// DecisionContent in three parts, so that the gate can keep the first and
// the last of an answer it gives again for other versions.
func DecisionContentHead(b []byte, d *paved.Decision) ([]byte, error) {
	var err error
	b = append(b, `{"allow":`...)
	b = strconv.AppendBool(b, d.Allow)
	b = append(b, `,"reasons":`...)
	if b, err = Append(b, d.Reasons); err != nil {
		return nil, err
	}
	b = append(b, `,"required_approvals":`...)
	if b, err = array(b, d.RequiredApprovals, func(b []byte, a *paved.RequiredApproval) ([]byte, error) {
		b = append(b, `{"approval_id":`...)
		b = strconv.AppendInt(b, a.ApprovalID, 10)
		b = append(b, `,"reason":`...)
		b = String(b, a.Reason)
		b = append(b, `,"approvers":`...)
		b = String(b, a.Approvers)
		return append(b, '}'), nil
	}); err != nil {
		return nil, err
	}
	b = append(b, `,"waivers_applied":`...)
	if b, err = array(b, d.WaiversApplied, func(b []byte, w *paved.WaiverApplied) ([]byte, error) {
		b = append(b, `{"waiver_id":`...)
		b = strconv.AppendInt(b, w.WaiverID, 10)
		b = append(b, `,"check":`...)
		b = String(b, w.Check)
		b = append(b, `,"expires_at":`...)
		b, err := Time(b, w.ExpiresAt)
		if err != nil {
			return nil, err
		}
		return append(b, '}'), nil
	}); err != nil {
		return nil, err
	}
	return append(b, `,"request":`...), nil
}

// DecisionRequest appends the request of a decision's content.
func DecisionRequest(b []byte, r *paved.DecisionRequest) []byte {
	b = append(b, `{"service":`...)
	b = String(b, r.Service)
	if r.Version != "" {
		b = append(b, `,"version":`...)
		b = String(b, r.Version)
	}
	if r.Commit != "" {
		b = append(b, `,"commit":`...)
		b = String(b, r.Commit)
	}
	b = append(b, `,"environment":`...)
	b = String(b, r.Environment)
	if r.Requester != "" {
		b = append(b, `,"requester":`...)
		b = String(b, r.Requester)
	}
	return append(b, '}')
}

// DecisionContentTail appends what follows the request.
func DecisionContentTail(b []byte, d *paved.Decision) ([]byte, error) {
	var err error
	b = append(b, `,"service":`...)
	b = String(b, d.Service)
	b = append(b, `,"inputs":`...)
	if b, err = Append(b, d.Inputs); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// array appends items as a JSON array, each by item; nil is null, as
// encoding/json writes it.
func array[T any](b []byte, items []T, item func([]byte, *T) ([]byte, error)) ([]byte, error) {
	if items == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	for i := range items {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = item(b, &items[i]); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}
