package notifications

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/mail"
	"github.com/mitreden/mitreden/app/queues"
	"github.com/mitreden/mitreden/app/store"
)

// Mailer turns notifications into mail: each one marked immediate as
// soon as it is committed, the daily ones as one digest per person at
// 07:00 Europe/Berlin. It reads what Notify wrote, so the producers of
// notifications know nothing of mail; every instance may run one (a
// notification is taken by one conditional update).
type Mailer struct {
	st      *store.Store
	catalog *locale.Catalog
	mail    *mail.Service
	log     *slog.Logger
	// DigestAt is the hour of the daily digest in Berlin time.
	DigestAt int
	// digestDone is the last day this mailer saw the digest sent (by it
	// or another instance): that day needs no more asking.
	digestDone atomic.Value // string

	stop context.CancelFunc
	done sync.WaitGroup
}

// NewMailer builds the mailer.
func NewMailer(st *store.Store, catalog *locale.Catalog, m *mail.Service, log *slog.Logger) *Mailer {
	return &Mailer{st: st, catalog: catalog, mail: m, log: log, DigestAt: 7}
}

// berlin is the time zone of the daily digest (time/tzdata, imported by
// the command, makes it known on machines without a zone database).
var berlin = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.UTC
	}
	return loc
}()

// Start runs the mailer until Close: woken by commits, it mails what
// notifications ask for.
func (m *Mailer) Start() {
	ctx, cancel := context.WithCancel(store.Background(context.Background()))
	m.stop = cancel
	signals, unsubscribe := m.st.Subscribe()
	m.done.Add(1)
	go func() {
		defer m.done.Done()
		defer unsubscribe()
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		for {
			m.mailImmediate(ctx)
			m.digestIfDue(ctx)
			select {
			case <-ctx.Done():
				return
			case <-signals:
			case <-tick.C:
			}
			// Commits come thousands a second under load; a look twice a
			// second is enough.
			select {
			case <-ctx.Done():
				return
			case <-time.After(500 * time.Millisecond):
			}
		}
	}()
}

// Close stops the mailer.
func (m *Mailer) Close() {
	if m.stop != nil {
		m.stop()
		m.done.Wait()
	}
}

// pending is a notification waiting for its mail, with its recipient.
type pending struct {
	id, user                           int64
	kind                               Kind
	title, key, args, url, email, lang string
	name                               string
}

const pendingSelect = `SELECT n.id, n.user_id, n.kind, n.title, n.body_key, n.body_args, n.url, u.email, u.locale, u.display_name
FROM notifications n JOIN users u ON u.id = n.user_id
WHERE n.mail = ? AND u.email IS NOT NULL AND u.deleted_at IS NULL`

func (m *Mailer) pendingOf(ctx context.Context, query string, args ...any) ([]pending, error) {
	var out []pending
	err := m.st.Each(ctx, query, args, func(rows *sql.Rows) error {
		var p pending
		if err := rows.Scan(&p.id, &p.user, &p.kind, &p.title, &p.key, &p.args, &p.url, &p.email, &p.lang, &p.name); err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

// mailImmediate queues a mail for every notification marked immediate.
func (m *Mailer) mailImmediate(ctx context.Context) {
	for ctx.Err() == nil {
		due, err := m.pendingOf(ctx, pendingSelect+" ORDER BY n.id LIMIT 50", string(Immediate))
		if err != nil {
			m.log.Warn("notifications: reading what to mail failed", "err", err)
			return
		}
		for _, p := range due {
			if err := m.send(ctx, []pending{p}, p.kind, ""); err != nil {
				m.log.Warn("notifications: queueing a mail failed", "notification", p.id, "err", err)
				return
			}
		}
		if len(due) < 50 {
			return
		}
	}
}

// send composes one mail for ps (one notification, or a person's digest)
// and queues it in the write that marks them queued; when another
// instance took them first, nothing is queued.
func (m *Mailer) send(ctx context.Context, ps []pending, kind Kind, digestKey string) error {
	p := ps[0]
	token, err := newToken()
	if err != nil {
		return err
	}
	loc := m.catalog.Get(p.lang)
	letter := mail.Letter{
		UserID: p.user, To: p.email, Lang: loc.Lang.Code, Name: p.name,
		LinkKey: "mail.notification.open", Link: p.url,
		After: []string{"mail.notification.why"},
		Headers: map[string]string{
			"List-Unsubscribe":      "<" + m.mail.Site() + "/unsubscribe?token=" + token + ">",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		},
	}
	for _, n := range ps {
		title, body := render(loc, n.kind, n.title, n.key, n.args)
		letter.Items = append(letter.Items, title+": "+body)
	}
	if digestKey == "" {
		title, _ := render(loc, p.kind, p.title, p.key, p.args)
		letter.SubjectKey, letter.Args = "mail.notification.subject", map[string]any{"Title": title}
	} else {
		letter.SubjectKey, letter.Args = digestKey, map[string]any{"Count": len(ps)}
		letter.Link, letter.LinkKey = "/me/notifications", "mail.digest.open"
	}
	msg, err := m.mail.Compose(letter)
	if err != nil {
		return err
	}
	err = m.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		taken := int64(0)
		for _, n := range ps {
			res, err := tx.Exec(ctx, "UPDATE notifications SET mail = 'queued' WHERE id = ? AND mail IN ('immediate', 'daily')", n.id)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			taken += k
		}
		if taken == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, "INSERT INTO unsubscribe_tokens (token_hash, user_id, kind, created_at) VALUES (?, ?, ?, ?)",
			hashToken(token), p.user, string(kind), tx.Time(time.Now().UTC())); err != nil {
			return err
		}
		return m.mail.Enqueue(ctx, tx, msg)
	})
	if err == nil {
		m.mail.Wake()
	}
	return err
}

// digestIfDue sends the day's digests once the digest hour has passed in
// Berlin, once a day across instances.
func (m *Mailer) digestIfDue(ctx context.Context) {
	now := time.Now().In(berlin)
	if done, _ := m.digestDone.Load().(string); now.Hour() < m.DigestAt || now.Format("2006-01-02") == done {
		return
	}
	if _, err := m.Daily(ctx, now); err != nil {
		m.log.Warn("notifications: the daily digest failed", "err", err)
	}
}

// Daily does the day of now's daily work (the staff notices, then the
// digests) if no instance has done it yet, and reports whether this one
// did: the instance whose row for the day is written does it.
func (m *Mailer) Daily(ctx context.Context, now time.Time) (bool, error) {
	day := now.In(berlin).Format("2006-01-02")
	mine := false
	err := m.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		res, err := tx.Exec(ctx, "INSERT INTO digest_days (day, created_at) VALUES (?, ?) ON CONFLICT (day) DO NOTHING", day, tx.Time(time.Now().UTC()))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		mine = n == 1
		return err
	})
	if err != nil {
		return false, err
	}
	m.digestDone.Store(day)
	if !mine {
		return false, nil
	}
	if err := m.StaffNotices(ctx); err != nil {
		m.log.Warn("notifications: counting what waits for staff failed", "err", err)
	}
	_, err = m.SendDigests(ctx)
	return true, err
}

// StaffNotices tells, once a day before the digests, moderators and
// administrators how many contributions wait in the moderation queues,
// and each expert group's members how many new items wait in its inbox,
// as a count with a link (nothing when nothing waits).
func (m *Mailer) StaffNotices(ctx context.Context) error {
	counts, err := queues.CountModeration(ctx, m.st.DB)
	if err != nil {
		return err
	}
	type notice struct {
		to Recipients
		n  Notice
	}
	var all []notice
	if waiting := counts.Pending + counts.Reported + counts.Appealed; waiting > 0 {
		all = append(all, notice{
			to: Recipients{Query: "SELECT id FROM users WHERE role IN ('moderator', 'admin') AND deleted_at IS NULL"},
			n:  Notice{Kind: Queue, URL: "/moderation", Body: "notifications.queue", Args: map[string]string{"Count": strconv.FormatInt(waiting, 10)}},
		})
	}
	type group struct {
		ID   int64       `bun:"id"`
		Name locale.Text `bun:"name,type:text"`
	}
	var groups []group
	if err := m.st.DB.NewRaw("SELECT id, name FROM expert_groups ORDER BY id").Scan(ctx, &groups); err != nil && !store.IsNoRows(err) {
		return err
	}
	for _, g := range groups {
		c, err := queues.CountInbox(ctx, m.st.DB, g.ID)
		if err != nil {
			return err
		}
		if c.New == 0 {
			continue
		}
		all = append(all, notice{
			to: Recipients{Query: "SELECT user_id FROM expert_group_members WHERE group_id = ?", Args: []any{g.ID}},
			n: Notice{Kind: Inbox, Title: g.Name, URL: "/experts/" + strconv.FormatInt(g.ID, 10),
				Body: "notifications.inbox", Args: map[string]string{"Count": strconv.FormatInt(c.New, 10)}},
		})
	}
	if len(all) == 0 {
		return nil
	}
	return m.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		for _, a := range all {
			if err := Notify(ctx, tx, m.catalog, a.to, a.n); err != nil {
				return err
			}
		}
		return nil
	})
}

// SendDigests queues one mail per person with every daily notification
// not mailed yet, and answers how many mails it queued (none when nothing
// is pending).
func (m *Mailer) SendDigests(ctx context.Context) (int, error) {
	due, err := m.pendingOf(ctx, pendingSelect+" ORDER BY n.user_id, n.id", string(Daily))
	if err != nil {
		return 0, err
	}
	sent := 0
	for start := 0; start < len(due); {
		end := start
		for end < len(due) && due[end].user == due[start].user {
			end++
		}
		if err := m.send(ctx, due[start:end], digest, "mail.digest.subject"); err != nil {
			return sent, err
		}
		sent++
		start = end
	}
	return sent, nil
}

func newToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
