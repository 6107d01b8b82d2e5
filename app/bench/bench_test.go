package bench_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mitreden/mitreden/app/bench"
	"github.com/mitreden/mitreden/app/config"
)

// A short run of every scenario prints one row each, without errors.
func TestBenchRunsEveryScenario(t *testing.T) {
	var out bytes.Buffer
	err := bench.Run(context.Background(), bench.Options{
		DB: config.Database{Driver: config.SQLite}, Duration: 150 * time.Millisecond, Concurrency: 2,
		Users: 5, Comments: 10, LiveSockets: 100, ExportComments: 50, Out: &out, Log: io.Discard,
	})
	if err != nil {
		t.Fatal(err)
	}
	table := out.String()
	for _, name := range bench.DefaultScenarios {
		row := ""
		for _, line := range strings.Split(table, "\n") {
			if strings.HasPrefix(line, "| "+name+" ") {
				row = line
			}
		}
		if row == "" {
			t.Fatalf("no row for %s in\n%s", name, table)
		}
		cells := strings.Split(row, "|")
		if strings.TrimSpace(cells[6]) != "0" {
			t.Errorf("%s had errors: %s", name, row)
		}
	}
	if !strings.Contains(table, "× baseline-http") || !strings.Contains(table, "× baseline-write") || !strings.Contains(table, "× export-raw") {
		t.Fatalf("no ratios in\n%s", table)
	}
}

func TestBenchRefusesUnknownScenarios(t *testing.T) {
	err := bench.Run(context.Background(), bench.Options{Scenarios: []string{"fly"}, Out: io.Discard, Log: io.Discard})
	if !config.IsUsage(err) || !strings.Contains(err.Error(), "fly") {
		t.Fatalf("unknown scenario: %v", err)
	}
}
