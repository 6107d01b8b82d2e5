// Package notifications is what a person hears back: the kinds of
// notification, how each person wants to get each kind by mail
// (immediately, in a daily digest, or not at all), and, later, the
// notifications themselves. The in-app notification is always there;
// the settings govern mail only.
package notifications

import (
	"context"
	"database/sql"
	"maps"
	"slices"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/store"
)

// Kind is a kind of notification.
type Kind string

const (
	Decision      Kind = "decision"       // a moderator decided on my contribution
	Answer        Kind = "answer"         // an expert group answered my idea or comment
	Reply         Kind = "reply"          // a reply to my comment was published
	MeasureStatus Kind = "measure_status" // a measure I voted on, commented on or follow changed status
	ReportOutcome Kind = "report_outcome" // a report of mine was decided
	Account       Kind = "account"        // my account was blocked, my e-mail or password changed
	Queue         Kind = "queue"          // (moderators) contributions waiting
	Inbox         Kind = "inbox"          // (experts) new items in my groups' inboxes
)

// KindKey is the catalog key naming kind.
func KindKey(k Kind) string { return "notifications.kind." + string(k) }

// Kinds lists every kind, in the order settings show them.
var Kinds = []Kind{Decision, Answer, Reply, MeasureStatus, ReportOutcome, Account, Queue, Inbox}

// KindsFor lists the kinds that can reach v: the queue's to moderators,
// the inbox's to members of expert groups.
func KindsFor(v *access.Viewer) []Kind {
	out := make([]Kind, 0, len(Kinds))
	for _, k := range Kinds {
		if (k == Queue && !v.AtLeast(access.Moderator)) || (k == Inbox && len(v.Groups) == 0) {
			continue
		}
		out = append(out, k)
	}
	return out
}

// Delivery is how a kind reaches a person by mail.
type Delivery string

const (
	Immediate Delivery = "immediate"
	Daily     Delivery = "daily" // one digest a day
	Off       Delivery = "off"
)

// Deliveries lists the choices.
var Deliveries = []Delivery{Immediate, Daily, Off}

// Defaults is each kind's delivery until a person chooses: what concerns
// them directly comes at once, the rest in the daily digest.
var Defaults = map[Kind]Delivery{
	Decision: Immediate, Answer: Immediate, ReportOutcome: Immediate, Account: Immediate,
	Reply: Daily, MeasureStatus: Daily, Queue: Daily, Inbox: Daily,
}

// Settings are one person's deliveries, every kind present.
type Settings map[Kind]Delivery

// Service reads and writes the settings.
type Service struct {
	st *store.Store
}

// NewService builds the service.
func NewService(st *store.Store) *Service { return &Service{st: st} }

// Settings answers userID's deliveries, defaults filled in.
func (s *Service) Settings(ctx context.Context, userID int64) (Settings, error) {
	out := Settings{}
	for k, d := range Defaults {
		out[k] = d
	}
	err := s.st.Each(ctx, "SELECT kind, delivery FROM notification_settings WHERE user_id = ?", []any{userID}, func(rows *sql.Rows) error {
		var k Kind
		var d Delivery
		if err := rows.Scan(&k, &d); err != nil {
			return err
		}
		out[k] = d
		return nil
	})
	return out, err
}

// Change sets the deliveries named in changes (kind → delivery); kinds
// left out keep theirs. An unknown kind or delivery, and account notices
// turned off (a block or a changed password must reach the person), are
// refused naming the kind as the field.
func (s *Service) Change(ctx context.Context, userID int64, changes map[string]string) (Settings, error) {
	var v problem.Validator
	for _, k := range slices.Sorted(maps.Keys(changes)) {
		d := changes[k]
		switch {
		case !slices.Contains(Kinds, Kind(k)):
			v.Add(problem.Field(k, "error.notification_kind"))
		case !slices.Contains(Deliveries, Delivery(d)):
			v.Add(problem.Field(k, "error.notification_delivery"))
		case Kind(k) == Account && Delivery(d) == Off:
			v.Add(problem.Field(k, "error.notification_account_off"))
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		for k, d := range changes {
			if _, err := tx.Exec(ctx, `INSERT INTO notification_settings (user_id, kind, delivery) VALUES (?, ?, ?)
ON CONFLICT (user_id, kind) DO UPDATE SET delivery = excluded.delivery`, userID, k, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Settings(ctx, userID)
}
