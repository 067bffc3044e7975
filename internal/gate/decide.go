package gate

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paved-dev/paved"
)

// decide computes a decision from the state. It reads only memory; the
// caller records the decision and creates approval requests it names with
// ApprovalID 0.
func (st *state) decide(p *Policy, req *paved.DecisionRequest, now time.Time) (*paved.Decision, error) {
	env, err := p.Environment(req.Environment)
	if err != nil {
		return nil, paved.Errorf(paved.ENOTFOUND, "%v", err)
	}
	st.mu.RLock()
	defer st.mu.RUnlock()
	newDecision := func() *paved.Decision {
		return &paved.Decision{At: now, Request: *req, Reasons: []string{}, RequiredApprovals: []paved.RequiredApproval{},
			WaiversApplied: []paved.WaiverApplied{}, Inputs: map[string]any{}}
	}
	if st.dbErr != nil {
		d := newDecision()
		d.Service = req.Service
		if env.FailOpen {
			d.Allow = true
			d.Reasons = append(d.Reasons, fmt.Sprintf("paved cannot read its database since %s (%v); %s fails open by policy", st.dbSince.Format(time.RFC3339), st.dbErr, req.Environment))
		} else {
			d.Reasons = append(d.Reasons, fmt.Sprintf("paved cannot read its database since %s (%v); %s fails closed: retry, or ask the platform team", st.dbSince.Format(time.RFC3339), st.dbErr, req.Environment))
		}
		return d, nil
	}
	svc := st.lookup(req.Service)
	if svc == nil {
		return nil, paved.Errorf(paved.ENOTFOUND, "no service %q in the catalog (is its repository scanned?)", req.Service)
	}
	if a := svc.answerFor(env, now); a != nil {
		return a.decision(req, now), nil
	}
	d := newDecision()
	d.Service = svc.ref
	tier := svc.tier
	if tier == paved.TierUnknown {
		tier = p.UnknownTier
	}
	d.Inputs["tier"], d.Inputs["declared_tier"], d.Inputs["owner"] = tier, svc.tier, svc.owner
	if svc.card == nil || st.standards == nil {
		d.Reasons = append(d.Reasons, fmt.Sprintf("%s has not been graded yet: run a scan, then ask again", svc.ref))
		return d, nil
	}
	d.Inputs["level"], d.Inputs["standards"], d.Inputs["graded_at"] = svc.card.Level, st.standards.Hash, svc.card.EvaluatedAt

	// Waivers approved since the last grading count at once. The results
	// are the state's, shared by every decision: they are copied only
	// when a waiver changes one (rarely), not on every decision.
	results := svc.card.Results
	copied := false
	var failing []string
	deny := false
	for i := range results {
		r := results[i]
		if r.Coming {
			continue
		}
		if !r.Status.Passing() {
			if w := activeWaiver(st.waivers[svc.ref], r.Check, now); w != nil {
				r.Status = paved.CheckWaived
				r.Message = fmt.Sprintf("waived until %s (waiver #%d)", w.ExpiresAt.Format(time.DateOnly), w.ID)
			}
		}
		if r.Status == paved.CheckWaived {
			if w := activeWaiver(st.waivers[svc.ref], r.Check, now); w != nil {
				d.WaiversApplied = append(d.WaiversApplied, paved.WaiverApplied{WaiverID: w.ID, Check: r.Check, ExpiresAt: w.ExpiresAt})
			} else {
				// Graded as waived, but the waiver ended since: it fails again.
				r.Status = paved.CheckFail
			}
		}
		if r != results[i] {
			if !copied {
				results, copied = slices.Clone(results), true
			}
			results[i] = r
		}
		if r.Status.Passing() {
			continue
		}
		failing = append(failing, r.Check)
		c := st.standards.Check(r.Check)
		if c != nil && c.Blocking && !env.IgnoreBlocking {
			deny = true
			msg := fmt.Sprintf("blocking check %s (%s) is %s", c.ID, c.Name, r.Status)
			if r.Message != "" {
				msg += ": " + r.Message
			}
			if c.Remediation != "" {
				msg += " — fix: " + c.Remediation
			}
			d.Reasons = append(d.Reasons, msg+" (or request a waiver)")
		}
	}
	level := st.standards.LevelOf(results)
	d.Inputs["effective_level"], d.Inputs["failing_checks"] = level, failing
	if min := env.MinLevel[tier]; min != "" && st.standards.Level(level) < st.standards.Level(min) {
		deny = true
		d.Reasons = append(d.Reasons, fmt.Sprintf("level %s is below %s, the minimum for tier %d in %s (paved status shows what to fix)",
			levelName(level), min, tier, req.Environment))
	}

	// Holds that an approval releases.
	var holds []string
	for _, f := range env.Freeze {
		if !now.Before(f.From) && now.Before(f.To) {
			holds = append(holds, fmt.Sprintf("freeze until %s: %s", f.To.Format(time.RFC3339), f.Reason))
		}
	}
	if svc.dippedFrom != "" && slices.Contains(env.ApprovalWhenDipped, tier) {
		holds = append(holds, fmt.Sprintf("the level dipped from %s to %s: a tier-%d deploy to %s needs an approval", svc.dippedFrom, levelName(level), tier, req.Environment))
	}
	if len(holds) > 0 {
		key := deployKey{svc.ref, req.Target(), req.Environment}
		if a := st.approved[key]; a != nil && a.ValidUntil != nil && now.Before(*a.ValidUntil) {
			d.Reasons = append(d.Reasons, fmt.Sprintf("approved by %s (approval #%d, valid until %s): %s", a.DecidedBy, a.ID, a.ValidUntil.Format(time.RFC3339), strings.Join(holds, "; ")))
		} else {
			deny = true
			ra := paved.RequiredApproval{Reason: strings.Join(holds, "; "), Approvers: approversText(st.approversOf(svc.owner))}
			if a := st.pending[key]; a != nil {
				ra.ApprovalID = a.ID
			}
			d.RequiredApprovals = append(d.RequiredApprovals, ra)
			d.Reasons = append(d.Reasons, "needs an approval: "+ra.Reason)
		}
	}
	d.Allow = !deny
	if d.Allow && len(d.Reasons) == 0 {
		d.Reasons = append(d.Reasons, fmt.Sprintf("level %s meets the policy for tier %d in %s and no blocking check fails", levelName(level), tier, req.Environment))
	}
	if len(holds) == 0 { // else the answer depends on the version
		if err := st.remember(svc, env, d, now); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func activeWaiver(ws []*paved.Waiver, check string, now time.Time) *paved.Waiver {
	for _, w := range ws {
		if w.Check == check && w.Active(now) {
			return w
		}
	}
	return nil
}

func levelName(l string) string {
	if l == "" {
		return "none"
	}
	return l
}

func approversText(leaders []string) string {
	if len(leaders) == 0 {
		return "a platform admin"
	}
	return strings.Join(leaders, ", ") + " or a platform admin"
}
