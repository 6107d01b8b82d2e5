package consultations

import "math"

// TallyBar is one part of a tally's stacked bar, in percent of its width.
// The CSP forbids style attributes, so pages draw the bar as SVG rects
// with these as attributes (as the progress page does).
type TallyBar struct {
	// Key is for, against or neutral; Class the bar's CSS class.
	Key, Class string
	X, W       float64
}

// Bars splits t into its for, against and neutral parts, in the order
// the vote buttons and the tally text use. Each part is there, empty
// when it has no votes, so that live updates can resize it.
func (t Tally) Bars() []TallyBar {
	total := float64(t.Total())
	out := make([]TallyBar, 0, 3)
	x := 0.0
	for _, seg := range []struct {
		key string
		n   int64
	}{{"for", t.For}, {"against", t.Against}, {"neutral", t.Neutral}} {
		w := 0.0
		if total > 0 {
			w = math.Round(float64(seg.n)/total*10000) / 100
		}
		out = append(out, TallyBar{Key: seg.key, Class: "bar-" + seg.key, X: x, W: w})
		x = math.Round((x+w)*100) / 100
	}
	return out
}
