package consultations

import "math"

// The progress page draws its charts as inline SVG laid out here, not in
// the browser: the Content-Security-Policy forbids inline styles, so bar
// lengths are SVG attributes. On a right-to-left page every x is mirrored,
// while the text keeps its own direction (SVG text follows the page's
// dir, so "start" anchors at the right there).

// progressPage is what progress.html shows.
type progressPage struct {
	*Progress
	rtl bool
}

// Geometry of the overall chart (one bar per status) and the small
// stacked bars, in SVG user units.
// The chart is about as wide as a phone's screen, so that its text keeps
// the size of the page's text there (it scales with the screen).
const (
	chartWidth  = 360
	chartRow    = 32
	chartLabel  = 4   // where a status label starts
	chartBarX   = 140 // where bars start
	chartBarMax = 180 // the longest bar
	stackWidth  = 300
	stackHeight = 14
)

// chartBar is one status of the overall chart.
type chartBar struct {
	Status                    string
	Count                     int64
	Y, TextY, BarX, BarW      float64
	LabelX, NumX, BarHeight   float64
	LabelAnchor, NumberAnchor string
}

// Height is the overall chart's height.
func (p *progressPage) Height() int { return len(MeasureStatuses) * chartRow }

// Width is the overall chart's width.
func (p *progressPage) Width() int { return chartWidth }

// StackWidth and StackHeight size the small stacked bars.
func (p *progressPage) StackWidth() int  { return stackWidth }
func (p *progressPage) StackHeight() int { return stackHeight }

// x mirrors a span [x, x+w) on right-to-left pages, to a tenth of a unit.
func (p *progressPage) x(x, w, width float64) float64 {
	if p.rtl {
		x = width - x - w
	}
	return tenth(x)
}

func tenth(v float64) float64 { return math.Round(v*10) / 10 }

// Bars lays out the overall chart: a bar per status, as long as its count
// relative to the largest, with the label before it and the number after.
func (p *progressPage) Bars() []chartBar {
	top := max(p.Counts.Max(), 1)
	out := make([]chartBar, len(MeasureStatuses))
	for i, s := range MeasureStatuses {
		n := p.Counts[i]
		w := tenth(float64(n) / float64(top) * chartBarMax)
		y := float64(i * chartRow)
		out[i] = chartBar{
			Status: s, Count: n, Y: y + 6, BarHeight: chartRow - 12, TextY: y + chartRow/2 + 5,
			BarX: p.x(chartBarX, w, chartWidth), BarW: w,
			LabelX: p.x(chartLabel, 0, chartWidth), NumX: p.x(chartBarX+w+8, 0, chartWidth),
			LabelAnchor: "start", NumberAnchor: "start",
		}
	}
	return out
}

// segment is one status's part of a stacked bar.
type segment struct {
	Status string
	X, W   float64
}

// Stack lays out a stacked bar of counts, each status as long as its
// share; statuses without measures have no segment.
func (p *progressPage) Stack(c StatusCounts) []segment {
	total := c.Total()
	if total == 0 {
		return nil
	}
	var out []segment
	x := 0.0
	for i, s := range MeasureStatuses {
		if c[i] == 0 {
			continue
		}
		w := tenth(float64(c[i]) / float64(total) * stackWidth)
		out = append(out, segment{Status: s, X: p.x(x, w, stackWidth), W: w})
		x += w
	}
	return out
}

// statusCount is one status with its count, for the lists of numbers.
type statusCount struct {
	Status string
	Count  int64
}

// Numbers lists every status with its count, zeros included.
func (p *progressPage) Numbers(c StatusCounts) []statusCount {
	out := make([]statusCount, len(MeasureStatuses))
	for i, s := range MeasureStatuses {
		out[i] = statusCount{s, c[i]}
	}
	return out
}

// statusGroup is the measures in one status.
type statusGroup struct {
	Status   string
	Measures []ProgressMeasure
}

// Count is the number of measures in the group.
func (g statusGroup) Count() int64 { return int64(len(g.Measures)) }

// Groups lists the measures by status, in the order of MeasureStatuses;
// statuses without measures are left out.
func (p *progressPage) Groups() []statusGroup {
	var out []statusGroup
	for _, s := range MeasureStatuses {
		g := statusGroup{Status: s}
		for _, m := range p.Measures {
			if m.Status == s {
				g.Measures = append(g.Measures, m)
			}
		}
		if len(g.Measures) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// HasExamples reports whether any measure is an illustration.
func (p *progressPage) HasExamples() bool {
	for _, m := range p.Measures {
		if m.IsExample {
			return true
		}
	}
	return false
}
