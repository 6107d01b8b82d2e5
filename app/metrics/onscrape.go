package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Gauge names a value read when /metrics is scraped.
type Gauge struct{ Name, Help string }

// Reading is gauges read together, from the database, when /metrics is
// scraped: Read answers one value per gauge, in their order.
type Reading struct {
	Gauges []Gauge
	Read   func(ctx context.Context) ([]float64, error)
}

// scrapeTimeout bounds the reads of one scrape together: a database that
// hangs must not hang the scrape (Prometheus gives up after 10 s).
const scrapeTimeout = 2 * time.Second

// ReadOnScrape registers readings, which run each time /metrics is
// scraped: no poller reads the database between scrapes, and every
// instance answers for the shared database alike. A reading that fails
// (the database does not answer in time) leaves its gauges out of that
// scrape; the rest of the scrape is answered.
func (m *Metrics) ReadOnScrape(readings ...Reading) {
	c := &onScrape{readings: readings}
	for _, r := range readings {
		var descs []*prometheus.Desc
		for _, g := range r.Gauges {
			descs = append(descs, prometheus.NewDesc(g.Name, g.Help, nil, nil))
		}
		c.descs = append(c.descs, descs)
	}
	m.Registry.MustRegister(c)
}

// onScrape is the collector of ReadOnScrape: descs[i] are the gauges of
// readings[i].
type onScrape struct {
	readings []Reading
	descs    [][]*prometheus.Desc
}

func (o *onScrape) Describe(ch chan<- *prometheus.Desc) {
	for _, descs := range o.descs {
		for _, d := range descs {
			ch <- d
		}
	}
}

func (o *onScrape) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	for i, r := range o.readings {
		values, err := r.Read(ctx)
		if err != nil || len(values) != len(o.descs[i]) {
			continue
		}
		for j, v := range values {
			ch <- prometheus.MustNewConstMetric(o.descs[i][j], prometheus.GaugeValue, v)
		}
	}
}
