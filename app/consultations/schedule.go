package consultations

import (
	"context"
	"database/sql"
	"time"

	"github.com/mitreden/mitreden/app/audit"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/app/topics"
)

// A consultation's schedule: opens_at and closes_at change its phase by
// themselves (draft → open, open → closed), each date once. A date
// "fires" when it has passed: the phase changes if it is still the one
// the date leads from, and either way the date is used up (its *_fired
// flag), so a phase an administrator sets back by hand stays as set.
// Changing a date clears its flag. AdvancePhases runs on every instance
// (server.startSchedule); the row lock and the flag make each date fire
// once across instances.

// DateChange is a date in a change: absent leaves the date as it is,
// null removes it, a string sets it (RFC 3339, checked by check).
type DateChange struct {
	jsonapi.Nullable[string]
	at *time.Time
}

// SetDate is a change that sets the date to t, or removes it when t is nil.
func SetDate(t *time.Time) DateChange {
	d := DateChange{}
	d.Set = true
	if t != nil {
		s := t.UTC().Format(time.RFC3339)
		d.Value = &s
	}
	return d
}

// check parses the given date; a wrong one is a field error.
func (d *DateChange) check(v *problem.Validator, field string) {
	d.at = nil
	if !d.Set || d.Value == nil {
		return
	}
	t, err := time.Parse(time.RFC3339, *d.Value)
	if err != nil {
		v.Add(problem.Field(field, "error.time_format"))
		return
	}
	t = t.UTC()
	d.at = &t
}

// apply sets *at from the change; a date that changes is due to fire again.
func (d *DateChange) apply(at **time.Time, fired *bool) {
	if !d.Set || sameTime(*at, d.at) {
		return
	}
	*at = d.at
	*fired = false
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// checkSchedule checks the dates and the phase of c as a change leaves
// it: the closing date after the opening date, and no opening by hand
// once the closing date has passed (it would not close again). It runs
// inside the write, against the stored dates.
func checkSchedule(c *Consultation, in *Input, now time.Time) error {
	var v problem.Validator
	if c.OpensAt != nil && c.ClosesAt != nil && !c.ClosesAt.After(*c.OpensAt) && (in.OpensAt.Set || in.ClosesAt.Set) {
		v.Add(problem.Field("closes_at", "error.closes_before_opens"))
	}
	if in.Phase != nil && *in.Phase == PhaseOpen && c.ClosesAt != nil && !c.ClosesAt.After(now) {
		v.Add(problem.Field("closes_at", "error.closes_past"))
	}
	return v.Err()
}

// applySchedule puts a change's dates and process text into c.
func applySchedule(c *Consultation, in *Input) {
	in.OpensAt.apply(&c.OpensAt, &c.OpensFired)
	in.ClosesAt.apply(&c.ClosesAt, &c.ClosesFired)
	patchText(&c.Process, in.Process)
}

// announce tells live clients and the page caches of a change from
// before to after: a phase change is a consultation.updated event with
// the consultation as its GET shows it (a draft that stays a draft is
// no one's business), and every page shows the phase.
func announce(ctx context.Context, tx *store.Tx, beforePhase string, after *Detail) error {
	if beforePhase != after.Phase || after.Phase != PhaseDraft {
		if err := tx.Emit(ctx, topics.ConsultationUpdated, detailOut(after, locale.Default), topics.Consultation(after.Slug)); err != nil {
			return err
		}
	}
	return tx.Emit(ctx, topics.PagesChanged, nil, topics.Pages)
}

// AdvancePhases fires every date that has passed by now and answers how
// many consultations changed their phase. Every instance runs it; each
// consultation is changed in a write of its own that locks its row and
// reads it again, so two instances racing change it once.
func (s *Service) AdvancePhases(ctx context.Context, now time.Time) (int, error) {
	var ids []int64
	err := s.st.Each(ctx, `SELECT id FROM consultations
WHERE (opens_fired = FALSE AND opens_at <= ?) OR (closes_fired = FALSE AND closes_at <= ?) ORDER BY id`,
		[]any{s.st.Time(now), s.st.Time(now)}, func(rows *sql.Rows) error {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
			return nil
		})
	if err != nil {
		return 0, err
	}
	changed := 0
	for _, id := range ids {
		ok, err := s.advance(ctx, id, now)
		if err != nil {
			return changed, err
		}
		if ok {
			changed++
		}
	}
	return changed, nil
}

// advance fires the passed dates of one consultation and reports whether
// its phase changed.
func (s *Service) advance(ctx context.Context, id int64, now time.Time) (bool, error) {
	var changed bool
	err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		changed = false
		// The flags are read under the row lock: an instance that got here
		// first has set them, and this one sees them set.
		var slug, phase string
		var opensDue, closesDue bool
		err := tx.QueryRow(ctx, `SELECT slug, phase,
  COALESCE(opens_fired = FALSE AND opens_at <= ?, FALSE), COALESCE(closes_fired = FALSE AND closes_at <= ?, FALSE)
FROM consultations WHERE id = ?`+tx.ForUpdate(""), tx.Time(now), tx.Time(now), id).Scan(&slug, &phase, &opensDue, &closesDue)
		if store.IsNoRows(err) || (err == nil && !opensDue && !closesDue) {
			return nil
		}
		if err != nil {
			return err
		}
		before, err := s.load(ctx, tx, slug, true)
		if err != nil {
			return err
		}
		next := phase
		if opensDue && next == PhaseDraft {
			next = PhaseOpen
		}
		if closesDue && next == PhaseOpen {
			next = PhaseClosed
		}
		// A date fires once, whether or not it changed the phase.
		if _, err := tx.Exec(ctx, `UPDATE consultations SET phase = ?,
  opens_fired = opens_fired OR ?, closes_fired = closes_fired OR ?, updated_at = ? WHERE id = ?`,
			next, opensDue, closesDue, tx.Time(now), id); err != nil {
			return err
		}
		if next == phase {
			return nil
		}
		after, err := s.load(ctx, tx, slug, true)
		if err != nil {
			return err
		}
		changed = true
		if err := announce(ctx, tx, phase, after); err != nil {
			return err
		}
		// Actor 0: the schedule, not a person, changed it.
		return audit.Record(ctx, tx, 0, "consultation.phase_scheduled", "consultation", slug, frameSnapshot(before), frameSnapshot(after))
	})
	return changed, err
}

// Step is one phase on a consultation's timeline.
type Step struct {
	Phase   string
	Current bool
	// At is when the phase begins by the schedule, if it has a date.
	At *time.Time
}

// Schedule is what a consultation's page shows of its dates.
type Schedule struct {
	OpensAt, ClosesAt *time.Time
	Steps             []Step
	// LeftKey and Left say how long it stays open ("schedule.days_left"
	// with a count of days); LeftKey is "" when no closing date is ahead.
	LeftKey string
	Left    int
	// Ended is true once participation is over (closed or evaluated).
	Ended bool
}

// ScheduleAt is c's schedule as it stands at now.
func (c *Consultation) ScheduleAt(now time.Time) Schedule {
	sc := Schedule{OpensAt: c.OpensAt, ClosesAt: c.ClosesAt, Ended: c.Phase == PhaseClosed || c.Phase == PhaseEvaluated}
	for _, p := range Phases {
		st := Step{Phase: p, Current: p == c.Phase}
		switch p {
		case PhaseOpen:
			st.At = c.OpensAt
		case PhaseClosed:
			st.At = c.ClosesAt
		}
		sc.Steps = append(sc.Steps, st)
	}
	if c.Phase == PhaseOpen && c.ClosesAt != nil && c.ClosesAt.After(now) {
		sc.LeftKey, sc.Left = timeLeft(c.ClosesAt.Sub(now))
	}
	return sc
}

// timeLeft names a span in whole days, else whole hours, else minutes
// (at least one).
func timeLeft(d time.Duration) (string, int) {
	switch {
	case d >= 24*time.Hour:
		return "schedule.days_left", int(d / (24 * time.Hour))
	case d >= time.Hour:
		return "schedule.hours_left", int(d / time.Hour)
	}
	return "schedule.minutes_left", max(1, int((d+time.Minute-1)/time.Minute))
}
