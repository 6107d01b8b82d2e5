package server_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/server"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// The server fires consultation dates on a schedule of its own: a draft
// whose opening date has come opens without anyone asking.
func TestConsultationOpensOnSchedule(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db config.Database) {
		ctx := context.Background()
		app, err := server.Build(ctx, apptest.Config(db), server.Options{
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), PhaseEvery: 20 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		defer app.Close()
		slug, phase := "bald", consultations.PhaseDraft
		opens := time.Now().Add(300 * time.Millisecond)
		if _, err := app.Consultations.Create(ctx, 0, consultations.Input{
			Slug: &slug, Phase: &phase, Title: locale.Text{"de": "Bald offen"}, OpensAt: consultations.SetDate(&opens),
		}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			d, err := app.Consultations.Get(ctx, slug, true)
			if err != nil {
				t.Fatal(err)
			}
			if d.Phase == consultations.PhaseOpen {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the consultation never opened")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
