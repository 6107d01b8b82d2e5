package store

import "github.com/mitreden/mitreden/app/config"

// SkipLocked is the clause that ends a select of this write claiming
// queued work (mails): on PostgreSQL it locks the rows it answers and
// passes over rows another instance holds, so two instances claiming at
// once take different rows instead of waiting for each other. SQLite's one
// writer orders every claim already.
func (tx *Tx) SkipLocked() string {
	if tx.driver == config.Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}
