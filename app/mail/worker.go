package mail

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"github.com/mitreden/mitreden/app/store"
)

// claimBatch is how many mails one claim takes.
const claimBatch = 10

// Start runs the worker until Close: it sends what is due at once (mail
// left over from before a restart included), then whenever woken, a
// retry falls due, or PollEvery passes.
func (s *Service) Start() {
	ctx, cancel := context.WithCancel(store.Background(context.Background()))
	s.stop = cancel
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		for {
			s.deliverDue(ctx)
			timer := time.NewTimer(s.untilNext(ctx))
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-s.wake:
			case <-timer.C:
			}
			timer.Stop()
		}
	}()
}

// Close stops the worker; a mail being sent is given back to the queue.
func (s *Service) Close() {
	if s.stop != nil {
		s.stop()
		s.done.Wait()
	}
}

// DeliverNow sends every mail due now, here, without the worker: for a
// command that queues mail and ends (mitreden mail digest).
func (s *Service) DeliverNow(ctx context.Context) { s.deliverDue(ctx) }

// deliverDue sends claimed batches until nothing is due.
func (s *Service) deliverDue(ctx context.Context) {
	for ctx.Err() == nil && s.anyDue(ctx) {
		batch, err := s.claim(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("mail: claiming due mail failed", "err", err)
			}
			return
		}
		if len(batch) == 0 {
			return
		}
		for i := range batch {
			if ctx.Err() != nil {
				s.release(batch[i:])
				return
			}
			err := s.sender.Send(ctx, s.from, &batch[i])
			if err != nil && ctx.Err() != nil { // stopped while sending: not the mail's fault
				s.release(batch[i:])
				return
			}
			s.finish(batch[i], err)
		}
	}
}

// anyDue asks the read pool whether a mail waits, so that a worker with
// nothing to do takes no write.
func (s *Service) anyDue(ctx context.Context) bool {
	now := s.st.Time(time.Now())
	var one int
	err := s.st.QueryRow(ctx, `SELECT 1 FROM mail_queue
WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until < ?) LIMIT 1`, now, now).Scan(&one)
	if err != nil && !store.IsNoRows(err) && ctx.Err() == nil {
		s.log.Warn("mail: looking for due mail failed", "err", err)
	}
	return err == nil
}

// claim takes up to claimBatch due mails for this instance: a lease
// (claimed_until) keeps every other instance off them while they are sent.
func (s *Service) claim(ctx context.Context) ([]queued, error) {
	var batch []queued
	err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		batch = batch[:0] // a write may run more than once
		now := time.Now()
		rows, err := tx.Query(ctx, `SELECT id, recipient, subject, text_body, html_body, headers, message_id, attempts, created_at
FROM mail_queue
WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)
ORDER BY next_attempt_at, id LIMIT `+strconv.Itoa(claimBatch)+tx.SkipLocked(), tx.Time(now), tx.Time(now))
		if err != nil {
			return err
		}
		for rows.Next() {
			var q queued
			if err := rows.Scan(&q.ID, &q.To, &q.Subject, &q.Text, &q.HTML, &q.Headers, &q.MessageID, &q.Attempts, &q.CreatedAt); err != nil {
				rows.Close()
				return err
			}
			batch = append(batch, q)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range batch {
			batch[i].Attempts++
			if _, err := tx.Exec(ctx, "UPDATE mail_queue SET claimed_until = ?, attempts = ? WHERE id = ?",
				tx.Time(now.Add(s.opts.Lease)), batch[i].Attempts, batch[i].ID); err != nil {
				return err
			}
		}
		return nil
	})
	return batch, err
}

// finish records how sending q went: sent, given up (the recipient was
// refused for good, or GiveUpAfter has passed since it was queued), or
// due again after a pause.
func (s *Service) finish(q queued, sendErr error) {
	ctx, cancel := context.WithTimeout(store.Background(context.Background()), 10*time.Second)
	defer cancel()
	now := time.Now()
	giveUp := sendErr != nil && (refused(sendErr) || now.Sub(q.CreatedAt) >= s.opts.GiveUpAfter)
	err := s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		switch {
		// A mail done with keeps no body: it may hold a link that signs
		// someone in, which nobody reading the database is to have.
		case sendErr == nil:
			_, err := tx.Exec(ctx, "UPDATE mail_queue SET sent_at = ?, claimed_until = NULL, last_error = '', text_body = '', html_body = '' WHERE id = ?", tx.Time(now), q.ID)
			return err
		case giveUp:
			_, err := tx.Exec(ctx, "UPDATE mail_queue SET failed_at = ?, claimed_until = NULL, last_error = ?, text_body = '', html_body = '' WHERE id = ?", tx.Time(now), errText(sendErr), q.ID)
			return err
		}
		_, err := tx.Exec(ctx, "UPDATE mail_queue SET next_attempt_at = ?, claimed_until = NULL, last_error = ? WHERE id = ?",
			tx.Time(now.Add(s.pause(q.Attempts))), errText(sendErr), q.ID)
		return err
	})
	switch {
	case err != nil:
		// The lease runs out and the mail is tried again.
		s.log.Warn("mail: recording a delivery failed", "mail", q.ID, "err", err)
	case giveUp:
		s.log.Error("mail: given up", "mail", q.ID, "attempts", q.Attempts, "err", sendErr)
	case sendErr != nil:
		s.log.Warn("mail: sending failed, will retry", "mail", q.ID, "attempts", q.Attempts, "retry_in", s.pause(q.Attempts).String(), "err", sendErr)
	}
}

// release gives claimed mails back unsent (the worker is stopping), as
// due as they were.
func (s *Service) release(batch []queued) {
	ctx, cancel := context.WithTimeout(store.Background(context.Background()), 5*time.Second)
	defer cancel()
	_ = s.st.Write(ctx, func(ctx context.Context, tx *store.Tx) error {
		for _, q := range batch {
			if _, err := tx.Exec(ctx, "UPDATE mail_queue SET claimed_until = NULL, attempts = ? WHERE id = ? AND sent_at IS NULL", q.Attempts-1, q.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

// keepDone is how long a sent or given-up mail's row (without its body)
// is kept, for an operator asking whether a mail went out.
const keepDone = 30 * 24 * time.Hour

// PruneDone deletes, in tx, up to limit each of the rows of mails sent and
// of mails given up longer than keepDone ago, and answers whether more may
// be left (the server's retention round calls it until none are). Mail
// not yet sent, retries included, is never touched.
func (s *Service) PruneDone(ctx context.Context, tx *store.Tx, limit int) (more bool, err error) {
	before := tx.Time(time.Now().Add(-keepDone))
	sent, err := tx.ExecBatch(ctx, limit, "DELETE FROM mail_queue WHERE id IN (SELECT id FROM mail_queue WHERE sent_at < ? LIMIT ?)", before)
	if err != nil {
		return false, err
	}
	failed, err := tx.ExecBatch(ctx, limit, "DELETE FROM mail_queue WHERE id IN (SELECT id FROM mail_queue WHERE failed_at < ? LIMIT ?)", before)
	return sent || failed, err
}

// pause is the wait after the attempts-th failed try: FirstRetry, then
// each twice the last, at most MaxPause.
func (s *Service) pause(attempts int) time.Duration {
	p := s.opts.FirstRetry
	for i := 1; i < attempts && p < s.opts.MaxPause; i++ {
		p *= 2
	}
	return min(p, s.opts.MaxPause)
}

// untilNext is how long the worker may sleep: until the next queued
// mail is due (or its lease ends), at most PollEvery.
func (s *Service) untilNext(ctx context.Context) time.Duration {
	var (
		next    time.Time
		claimed sql.NullTime
	)
	err := s.st.QueryRow(ctx, `SELECT next_attempt_at, claimed_until FROM mail_queue
WHERE sent_at IS NULL AND failed_at IS NULL ORDER BY next_attempt_at LIMIT 1`).Scan(&next, &claimed)
	if err != nil {
		return s.opts.PollEvery
	}
	if claimed.Valid && claimed.Time.After(next) {
		next = claimed.Time
	}
	return min(max(time.Until(next), 10*time.Millisecond), s.opts.PollEvery)
}

func errText(err error) string {
	msg := err.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	return msg
}
