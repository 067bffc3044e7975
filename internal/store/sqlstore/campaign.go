package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// campaignTx runs fn in a write transaction that, unlike inTx, does not
// move the catalog version: campaigns are not catalog data.
func (s *Store) campaignTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// CampaignPut stores a new version when the spec changed.
func (s *Store) CampaignPut(ctx context.Context, c *paved.Campaign, spec string) (bool, error) {
	changed := false
	err := s.campaignTx(ctx, func(tx *sql.Tx) error {
		var version int
		var created time.Time
		var paused bool
		var pausedReason string
		err := tx.QueryRowContext(ctx, s.rebind(`SELECT version, created_at, paused, paused_reason FROM campaigns WHERE id = ?`), c.ID).
			Scan(&version, &created, &paused, &pausedReason)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if version > 0 {
			var last string
			if err := tx.QueryRowContext(ctx, s.rebind(`SELECT spec FROM campaign_versions WHERE campaign_id = ? AND version = ?`), c.ID, version).Scan(&last); err != nil {
				return err
			}
			if last == spec {
				stored, err := s.campaignGet(ctx, tx, c.ID)
				if err != nil {
					return err
				}
				*c = *stored
				return nil
			}
		}
		changed = true
		c.Version = version + 1
		if version == 0 {
			created = c.UpdatedAt
		}
		c.CreatedAt, c.UpdatedAt = created.UTC(), c.UpdatedAt.UTC()
		c.Paused, c.PausedReason = paused, pausedReason
		doc, err := json.Marshal(c)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO campaign_versions (campaign_id, version, recipe_hash, spec, applied_at, applied_by) VALUES (?, ?, ?, ?, ?, ?)`),
			c.ID, c.Version, c.RecipeHash, spec, dbTime(c.UpdatedAt), c.UpdatedBy); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.rebind(`INSERT INTO campaigns (id, version, recipe_hash, document, paused, paused_reason, created_at, updated_at, updated_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET version = excluded.version, recipe_hash = excluded.recipe_hash, document = excluded.document,
				updated_at = excluded.updated_at, updated_by = excluded.updated_by`),
			c.ID, c.Version, c.RecipeHash, string(doc), paused, pausedReason, dbTime(c.CreatedAt), dbTime(c.UpdatedAt), c.UpdatedBy)
		return err
	})
	return changed, s.err(err, "put campaign %s", c.ID)
}

const campaignColumns = `document, version, paused, paused_reason, created_at, updated_at`

func scanCampaign(row rowScanner) (*paved.Campaign, error) {
	var doc string
	var c paved.Campaign
	var version int
	var paused bool
	var reason string
	var created, updated time.Time
	if err := row.Scan(&doc, &version, &paused, &reason, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(doc), &c); err != nil {
		return nil, fmt.Errorf("decode campaign: %w", err)
	}
	c.Version, c.Paused, c.PausedReason, c.CreatedAt, c.UpdatedAt = version, paused, reason, created.UTC(), updated.UTC()
	return &c, nil
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) campaignGet(ctx context.Context, q queryRower, id string) (*paved.Campaign, error) {
	c, err := scanCampaign(q.QueryRowContext(ctx, s.rebind(`SELECT `+campaignColumns+` FROM campaigns WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("campaign %q: %w", id, store.ErrNotFound)
	}
	return c, err
}

// CampaignGet returns ErrNotFound for an unknown id.
func (s *Store) CampaignGet(ctx context.Context, id string) (*paved.Campaign, error) {
	c, err := s.campaignGet(ctx, s.read, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return c, s.err(err, "get campaign %s", id)
}

// CampaignList returns every campaign by id.
func (s *Store) CampaignList(ctx context.Context) ([]*paved.Campaign, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+campaignColumns+` FROM campaigns ORDER BY id`)
	if err != nil {
		return nil, s.err(err, "list campaigns")
	}
	out := []*paved.Campaign{}
	err = eachRow(rows, func() error {
		c, err := scanCampaign(rows)
		if err == nil {
			out = append(out, c)
		}
		return err
	})
	return out, s.err(err, "list campaigns")
}

// CampaignVersions lists versions newest first.
func (s *Store) CampaignVersions(ctx context.Context, id string) ([]*store.CampaignVersion, error) {
	rows, err := s.read.QueryContext(ctx, s.rebind(`SELECT version, recipe_hash, spec, applied_at, applied_by FROM campaign_versions WHERE campaign_id = ? ORDER BY version DESC`), id)
	if err != nil {
		return nil, s.err(err, "list campaign versions")
	}
	out := []*store.CampaignVersion{}
	err = eachRow(rows, func() error {
		var v store.CampaignVersion
		err := rows.Scan(&v.Version, &v.RecipeHash, &v.Spec, &v.AppliedAt, &v.AppliedBy)
		v.AppliedAt = v.AppliedAt.UTC()
		out = append(out, &v)
		return err
	})
	return out, s.err(err, "list campaign versions")
}

// CampaignSetPaused pauses or resumes auto-merge.
func (s *Store) CampaignSetPaused(ctx context.Context, id string, paused bool, reason string) error {
	res, err := s.write.ExecContext(ctx, s.rebind(`UPDATE campaigns SET paused = ?, paused_reason = ? WHERE id = ?`), paused, reason, id)
	if err != nil {
		return s.err(err, "pause campaign %s", id)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("campaign %q: %w", id, store.ErrNotFound)
	}
	return nil
}

// settledStates are the states a target keeps when it stops being selected:
// something was done for it that the record must keep.
var settledStates = []string{paved.TargetChangeOpen, paved.TargetMerged, paved.TargetReverted, paved.TargetWaived}

// CampaignTargetSync makes the given services the campaign's targets.
func (s *Store) CampaignTargetSync(ctx context.Context, p *store.CampaignTargetSyncParams) (added, dropped int, err error) {
	err = s.campaignTx(ctx, func(tx *sql.Tx) error {
		current := map[string]string{}
		rows, err := tx.QueryContext(ctx, s.rebind(`SELECT service, state FROM campaign_targets WHERE campaign_id = ?`), p.Campaign)
		if err != nil {
			return err
		}
		if err := eachRow(rows, func() error {
			var svc, state string
			err := rows.Scan(&svc, &state)
			current[svc] = state
			return err
		}); err != nil {
			return err
		}
		at := dbTime(p.At)
		insert, err := tx.PrepareContext(ctx, s.rebind(`INSERT INTO campaign_targets (campaign_id, service, owner, tier, state, updated_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (campaign_id, service) DO UPDATE SET owner = excluded.owner, tier = excluded.tier`))
		if err != nil {
			return err
		}
		defer insert.Close()
		revive, err := tx.PrepareContext(ctx, s.rebind(`UPDATE campaign_targets SET state = ?, reason = '', updated_at = ? WHERE campaign_id = ? AND service = ? AND state = ?`))
		if err != nil {
			return err
		}
		defer revive.Close()
		selected := make(map[string]bool, len(p.Targets))
		var events []any
		for _, t := range p.Targets {
			selected[t.Service] = true
			state, known := current[t.Service]
			if _, err := insert.ExecContext(ctx, p.Campaign, t.Service, t.Owner, t.Tier, paved.TargetNotStarted, at); err != nil {
				return err
			}
			switch {
			case !known:
				added++
				events = append(events, p.Campaign, t.Service, at, "", paved.TargetNotStarted, "selected")
			case state == paved.TargetNotApplicable:
				if _, err := revive.ExecContext(ctx, paved.TargetNotStarted, at, p.Campaign, t.Service, state); err != nil {
					return err
				}
				added++
				events = append(events, p.Campaign, t.Service, at, state, paved.TargetNotStarted, "selected again")
			}
		}
		drop, err := tx.PrepareContext(ctx, s.rebind(`UPDATE campaign_targets SET state = ?, reason = ?, updated_at = ? WHERE campaign_id = ? AND service = ?`))
		if err != nil {
			return err
		}
		defer drop.Close()
		for svc, state := range current {
			if selected[svc] || state == paved.TargetNotApplicable || slices.Contains(settledStates, state) {
				continue
			}
			if _, err := drop.ExecContext(ctx, paved.TargetNotApplicable, p.DroppedReason, at, p.Campaign, svc); err != nil {
				return err
			}
			dropped++
			events = append(events, p.Campaign, svc, at, state, paved.TargetNotApplicable, p.DroppedReason)
		}
		w := s.newTxWriter(tx)
		defer w.close()
		if err := w.bulk(ctx, targetEventInsert, events, nil); err != nil {
			return err
		}
		return s.refreshDaily(ctx, tx, p.Campaign, p.At)
	})
	return added, dropped, s.err(err, "sync targets of campaign %s", p.Campaign)
}

// in adds "col IN (…)" for a non-empty list.
func (w *whereBuilder) in(col string, values []string) {
	if len(values) == 0 {
		return
	}
	args := anys(values)
	w.eq(col+" IN ("+placeholders(len(values))+")", args[0])
	w.args = append(w.args, args[1:]...)
}

var targetEventInsert = bulkStatement{
	head:  `INSERT INTO campaign_target_events (campaign_id, service, at, from_state, to_state, reason) VALUES `,
	tuple: `(?, ?, ?, ?, ?, ?)`,
}

// refreshDaily recomputes the day's counts per state from the targets. It
// upserts (in state order, so concurrent refreshes take row locks in one
// order) rather than deleting and inserting, which two transactions at
// once could not both do.
func (s *Store) refreshDaily(ctx context.Context, tx *sql.Tx, campaign string, at time.Time) error {
	day := at.UTC().Format(time.DateOnly)
	if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO campaign_daily (campaign_id, day, state, count)
		SELECT campaign_id, ?, state, count(*) FROM campaign_targets WHERE campaign_id = ? GROUP BY campaign_id, state ORDER BY state
		ON CONFLICT (campaign_id, day, state) DO UPDATE SET count = excluded.count`), day, campaign); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, s.rebind(`UPDATE campaign_daily SET count = 0 WHERE campaign_id = ? AND day = ? AND count <> 0
		AND state NOT IN (SELECT DISTINCT state FROM campaign_targets WHERE campaign_id = ?)`), campaign, day, campaign)
	return err
}

const targetSelect = `SELECT t.campaign_id, t.service, t.owner, t.tier, t.state, t.reason, t.version, t.attempts, t.updated_at, t.waived_until,
	c.id, c.key, c.campaign_id, c.service, c.version, c.recipe_hash, c.state, c.confidence, c.created_at, c.document
	FROM campaign_targets t LEFT JOIN change_requests c ON c.id = t.change_id`

func scanTarget(row rowScanner) (*paved.Target, error) {
	var t paved.Target
	var waived sql.NullTime
	var cid sql.NullInt64
	var key, ccamp, csvc, chash, cstate, cdoc sql.NullString
	var cver, cconf sql.NullInt64
	var ccreated sql.NullTime
	if err := row.Scan(&t.Campaign, &t.Service, &t.Owner, &t.Tier, &t.State, &t.Reason, &t.Version, &t.Attempts, &t.UpdatedAt, &waived,
		&cid, &key, &ccamp, &csvc, &cver, &chash, &cstate, &cconf, &ccreated, &cdoc); err != nil {
		return nil, err
	}
	t.UpdatedAt, t.WaivedUntil = t.UpdatedAt.UTC(), nullTime(waived)
	if cid.Valid {
		cr := &paved.ChangeRequest{}
		if err := json.Unmarshal([]byte(cdoc.String), cr); err != nil {
			return nil, fmt.Errorf("decode change request %d: %w", cid.Int64, err)
		}
		cr.ID, cr.Key, cr.Campaign, cr.Service, cr.Version, cr.RecipeHash, cr.State = cid.Int64, key.String, ccamp.String, csvc.String, int(cver.Int64), chash.String, cstate.String
		cr.Confidence.Score, cr.CreatedAt = int(cconf.Int64), ccreated.Time.UTC()
		t.Change = cr
	}
	return &t, nil
}

// CampaignTargetGet returns ErrNotFound for an unknown target.
func (s *Store) CampaignTargetGet(ctx context.Context, campaign, service string) (*paved.Target, error) {
	t, err := scanTarget(s.read.QueryRowContext(ctx, s.rebind(targetSelect+` WHERE t.campaign_id = ? AND t.service = ?`), campaign, service))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("target %s of campaign %s: %w", service, campaign, store.ErrNotFound)
	}
	return t, s.err(err, "get target %s of %s", service, campaign)
}

// CampaignTargetList returns targets matching p by service, and the total.
func (s *Store) CampaignTargetList(ctx context.Context, p *store.CampaignTargetListParams) ([]*paved.Target, int, error) {
	var w whereBuilder
	if p.Campaign != "" {
		w.eq("t.campaign_id = ?", p.Campaign)
	}
	if p.Service != "" {
		w.eq("t.service = ?", p.Service)
	}
	w.in("t.state", p.States)
	if p.MinConfidence != nil {
		w.eq("c.confidence >= ?", *p.MinConfidence)
	}
	if p.MaxConfidence != nil {
		w.eq("c.confidence <= ?", *p.MaxConfidence)
	}
	var total int
	if err := s.read.QueryRowContext(ctx, s.rebind(`SELECT count(*) FROM campaign_targets t LEFT JOIN change_requests c ON c.id = t.change_id`+w.b.String()), w.args...).Scan(&total); err != nil {
		return nil, 0, s.err(err, "count targets")
	}
	rows, err := s.read.QueryContext(ctx, s.rebind(targetSelect+w.b.String()+` ORDER BY t.service, t.campaign_id`+s.limitClause(p.Limit, p.Offset)), w.args...)
	if err != nil {
		return nil, 0, s.err(err, "list targets")
	}
	out := []*paved.Target{}
	err = eachRow(rows, func() error {
		t, err := scanTarget(rows)
		if err == nil {
			out = append(out, t)
		}
		return err
	})
	return out, total, s.err(err, "list targets")
}

// CampaignTargetTransition moves one target, compare-and-swap on its state.
func (s *Store) CampaignTargetTransition(ctx context.Context, p *store.CampaignTargetTransitionParams) error {
	err := s.campaignTx(ctx, func(tx *sql.Tx) error {
		var from string
		err := tx.QueryRowContext(ctx, s.rebind(`SELECT state FROM campaign_targets WHERE campaign_id = ? AND service = ?`), p.Campaign, p.Service).Scan(&from)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("target %s of campaign %s: %w", p.Service, p.Campaign, store.ErrNotFound)
		} else if err != nil {
			return err
		}
		if len(p.From) > 0 && !slices.Contains(p.From, from) {
			return fmt.Errorf("target %s of campaign %s is %s, not %s: %w", p.Service, p.Campaign, from, strings.Join(p.From, " or "), store.ErrConflict)
		}
		set := `state = ?, reason = ?, updated_at = ?, waived_until = ?`
		args := []any{p.To, p.Reason, dbTime(p.At), timeArg(p.WaivedUntil)}
		if p.Version > 0 {
			set += `, version = ?`
			args = append(args, p.Version)
		}
		if p.ChangeID > 0 {
			set += `, change_id = ?`
			args = append(args, p.ChangeID)
		}
		if p.IncAttempts {
			set += `, attempts = attempts + 1`
		}
		args = append(args, p.Campaign, p.Service)
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE campaign_targets SET `+set+` WHERE campaign_id = ? AND service = ?`), args...); err != nil {
			return err
		}
		if from == p.To && !p.IncAttempts {
			return nil
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO campaign_target_events (campaign_id, service, at, from_state, to_state, reason) VALUES (?, ?, ?, ?, ?, ?)`),
			p.Campaign, p.Service, dbTime(p.At), from, p.To, p.Reason); err != nil {
			return err
		}
		if from == p.To {
			return nil
		}
		return s.refreshDaily(ctx, tx, p.Campaign, p.At)
	})
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
		return err
	}
	return s.err(err, "move target %s of %s to %s", p.Service, p.Campaign, p.To)
}

// CampaignCounts counts targets per state.
func (s *Store) CampaignCounts(ctx context.Context, campaign string) (map[string]int, error) {
	rows, err := s.read.QueryContext(ctx, s.rebind(`SELECT state, count(*) FROM campaign_targets WHERE campaign_id = ? GROUP BY state`), campaign)
	if err != nil {
		return nil, s.err(err, "count targets")
	}
	out := map[string]int{}
	err = eachRow(rows, func() error {
		var st string
		var n int
		err := rows.Scan(&st, &n)
		out[st] = n
		return err
	})
	return out, s.err(err, "count targets")
}

// CampaignOwnerCounts counts targets per owner and state.
func (s *Store) CampaignOwnerCounts(ctx context.Context, campaign string) (map[string]map[string]int, error) {
	rows, err := s.read.QueryContext(ctx, s.rebind(`SELECT owner, state, count(*) FROM campaign_targets WHERE campaign_id = ? GROUP BY owner, state`), campaign)
	if err != nil {
		return nil, s.err(err, "count targets by owner")
	}
	out := map[string]map[string]int{}
	err = eachRow(rows, func() error {
		var owner, st string
		var n int
		if err := rows.Scan(&owner, &st, &n); err != nil {
			return err
		}
		if out[owner] == nil {
			out[owner] = map[string]int{}
		}
		out[owner][st] = n
		return nil
	})
	return out, s.err(err, "count targets by owner")
}

// CampaignBurndown returns the daily counts from since on.
func (s *Store) CampaignBurndown(ctx context.Context, campaign string, since time.Time) ([]*store.BurndownDay, error) {
	rows, err := s.read.QueryContext(ctx, s.rebind(`SELECT day, state, count FROM campaign_daily WHERE campaign_id = ? AND day >= ? ORDER BY day, state`),
		campaign, since.UTC().Format(time.DateOnly))
	if err != nil {
		return nil, s.err(err, "burndown")
	}
	out := []*store.BurndownDay{}
	err = eachRow(rows, func() error {
		var day, st string
		var n int
		if err := rows.Scan(&day, &st, &n); err != nil {
			return err
		}
		if len(out) == 0 || out[len(out)-1].Day != day {
			out = append(out, &store.BurndownDay{Day: day, Counts: map[string]int{}})
		}
		out[len(out)-1].Counts[st] = n
		return nil
	})
	return out, s.err(err, "burndown")
}

// CampaignTargetEvents lists a target's transitions, oldest first.
func (s *Store) CampaignTargetEvents(ctx context.Context, campaign, service string) ([]*store.TargetEvent, error) {
	rows, err := s.read.QueryContext(ctx, s.rebind(`SELECT at, from_state, to_state, reason FROM campaign_target_events WHERE campaign_id = ? AND service = ? ORDER BY id`), campaign, service)
	if err != nil {
		return nil, s.err(err, "target events")
	}
	out := []*store.TargetEvent{}
	err = eachRow(rows, func() error {
		var e store.TargetEvent
		err := rows.Scan(&e.At, &e.From, &e.To, &e.Reason)
		e.At = e.At.UTC()
		out = append(out, &e)
		return err
	})
	return out, s.err(err, "target events")
}

// changeDocument is what the document column holds: everything of a
// change request but the columns of its own, the diff and the log.
func changeDocument(cr *paved.ChangeRequest) (string, error) {
	c := *cr
	c.Diff, c.Log = "", ""
	b, err := json.Marshal(&c)
	return string(b), err
}

const changeColumns = `id, key, campaign_id, service, version, recipe_hash, state, confidence, created_at, document`

func scanChange(row rowScanner, extra ...any) (*paved.ChangeRequest, error) {
	var doc string
	var id int64
	var key, camp, svc, hash, state string
	var version, conf int
	var created time.Time
	if err := row.Scan(append([]any{&id, &key, &camp, &svc, &version, &hash, &state, &conf, &created, &doc}, extra...)...); err != nil {
		return nil, err
	}
	cr := &paved.ChangeRequest{}
	if err := json.Unmarshal([]byte(doc), cr); err != nil {
		return nil, fmt.Errorf("decode change request %d: %w", id, err)
	}
	cr.ID, cr.Key, cr.Campaign, cr.Service, cr.Version, cr.RecipeHash, cr.State = id, key, camp, svc, version, hash, state
	cr.Confidence.Score, cr.CreatedAt = conf, created.UTC()
	return cr, nil
}

// ChangeRequestInsert stores cr unless its key exists.
func (s *Store) ChangeRequestInsert(ctx context.Context, cr *paved.ChangeRequest, evidence []byte) (bool, error) {
	if cr.Key == "" {
		return false, errors.New("change request without a key")
	}
	if cr.CreatedAt.IsZero() {
		cr.CreatedAt = time.Now()
	}
	cr.CreatedAt = cr.CreatedAt.UTC()
	doc, err := changeDocument(cr)
	if err != nil {
		return false, err
	}
	err = s.write.QueryRowContext(ctx, s.rebind(`INSERT INTO change_requests (key, campaign_id, service, version, recipe_hash, state, confidence, created_at, merged_at, document, evidence, diff, log)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING RETURNING id`),
		cr.Key, cr.Campaign, cr.Service, cr.Version, cr.RecipeHash, cr.State, cr.Confidence.Score, dbTime(cr.CreatedAt), timeArg(cr.MergedAt), doc, string(evidence), cr.Diff, cr.Log).Scan(&cr.ID)
	if errors.Is(err, sql.ErrNoRows) {
		var diff, log string
		stored, err := scanChange(s.write.QueryRowContext(ctx, s.rebind(`SELECT `+changeColumns+`, diff, log FROM change_requests WHERE key = ?`), cr.Key), &diff, &log)
		if err != nil {
			return false, s.err(err, "get change request %s", cr.Key)
		}
		stored.Diff, stored.Log = diff, log
		*cr = *stored
		return true, nil
	}
	return false, s.err(err, "insert change request %s", cr.Key)
}

// ChangeRequestGet returns a change request whole.
func (s *Store) ChangeRequestGet(ctx context.Context, id int64) (*paved.ChangeRequest, error) {
	var diff, log string
	cr, err := scanChange(s.read.QueryRowContext(ctx, s.rebind(`SELECT `+changeColumns+`, diff, log FROM change_requests WHERE id = ?`), id), &diff, &log)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("change request %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, s.err(err, "get change request %d", id)
	}
	cr.Diff, cr.Log = diff, log
	return cr, nil
}

// ChangeRequestUpdate writes a change request's mutable fields.
func (s *Store) ChangeRequestUpdate(ctx context.Context, cr *paved.ChangeRequest, evidence []byte) error {
	doc, err := changeDocument(cr)
	if err != nil {
		return err
	}
	q := `UPDATE change_requests SET state = ?, confidence = ?, merged_at = ?, document = ?, diff = ?, log = ?`
	args := []any{cr.State, cr.Confidence.Score, timeArg(cr.MergedAt), doc, cr.Diff, cr.Log}
	if evidence != nil {
		q += `, evidence = ?`
		args = append(args, string(evidence))
	}
	res, err := s.write.ExecContext(ctx, s.rebind(q+` WHERE id = ?`), append(args, cr.ID)...)
	if err != nil {
		return s.err(err, "update change request %d", cr.ID)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("change request %d: %w", cr.ID, store.ErrNotFound)
	}
	return nil
}

// ChangeRequestList returns change requests matching p, newest first.
func (s *Store) ChangeRequestList(ctx context.Context, p *store.ChangeRequestListParams) ([]*paved.ChangeRequest, error) {
	var w whereBuilder
	if p.Campaign != "" {
		w.eq("campaign_id = ?", p.Campaign)
	}
	if p.Service != "" {
		w.eq("service = ?", p.Service)
	}
	if p.RecipeHash != "" {
		w.eq("recipe_hash = ?", p.RecipeHash)
	}
	w.in("state", p.States)
	if p.MergedSince != nil {
		w.eq("merged_at >= ?", dbTime(*p.MergedSince))
	}
	rows, err := s.read.QueryContext(ctx, s.rebind(`SELECT `+changeColumns+` FROM change_requests`+w.b.String()+` ORDER BY id DESC`+s.limitClause(p.Limit, 0)), w.args...)
	if err != nil {
		return nil, s.err(err, "list change requests")
	}
	out := []*paved.ChangeRequest{}
	err = eachRow(rows, func() error {
		cr, err := scanChange(rows)
		if err == nil {
			out = append(out, cr)
		}
		return err
	})
	return out, s.err(err, "list change requests")
}

// ChangeRequestEvidence returns the stored evidence document.
func (s *Store) ChangeRequestEvidence(ctx context.Context, id int64) ([]byte, error) {
	var ev string
	err := s.read.QueryRowContext(ctx, s.rebind(`SELECT evidence FROM change_requests WHERE id = ?`), id).Scan(&ev)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("change request %d: %w", id, store.ErrNotFound)
	}
	return []byte(ev), s.err(err, "get evidence of change request %d", id)
}
