// Package demo seeds the demo consultation "WIR sind Hannover –
// Zusammenleben in der Stadt" (WIR 2.0): its guidelines, priorities and
// cross-cutting themes word for word from the city's strategy paper, its six
// fields of action, seven expert groups, and a few example measures per
// field. The measures are illustrations, marked as examples everywhere,
// never presented as the city's decisions.
package demo

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/experts"
	"github.com/mitreden/mitreden/app/jsonapi"
	"github.com/mitreden/mitreden/app/locale"
)

// Slug is the demo consultation's fixed identifier.
const Slug = "wir2"

// Title is the demo consultation's German title.
const Title = "WIR sind Hannover – Zusammenleben in der Stadt"

type text = locale.Text

// Guidelines are the seven Leitlinien, German word for word.
var Guidelines = []text{
	{"de": "Hannover ist eine offene Stadt der Vielfalt und versteht Migration als selbstverständlichen Teil unserer gesellschaftlichen Realität.",
		"en": "Hannover is an open city of diversity and regards migration as a natural part of our social reality."},
	{"de": "Alle Menschen in Hannover sollen gleichberechtigt und respektvoll zusammenleben können. Deshalb streben wir gleichberechtigte Teilhabe und Chancengerechtigkeit für alle im wirtschaftlichen, politischen, kulturellen und sozialen Leben an.",
		"en": "All people in Hannover should be able to live together with equal rights and respect. That is why we strive for equal participation and equal opportunities for all in economic, political, cultural and social life."},
	{"de": "Das Zusammenleben in Vielfalt hängt von allen ab und ist deshalb eine Aufgabe für die gesamte Stadtgesellschaft. Das Zusammenleben in Vielfalt braucht zudem für alle verbindliche Werte und Gesetze. Dieses gemeinsame Fundament bilden unsere Verfassung und die Rechtsstaatlichkeit.",
		"en": "Living together in diversity depends on everyone and is therefore a task for the whole of urban society. Living together in diversity also needs values and laws that are binding for all. Our constitution and the rule of law form this common foundation."},
	{"de": "Wir wollen lebendige Nachbarschaften, in denen alle Einwohner*innen gemeinsam ohne Angst in ihrer Unterschiedlichkeit leben können.",
		"en": "We want lively neighbourhoods in which all residents can live together without fear in all their differences."},
	{"de": "Wir fördern Sprachkompetenz in Deutsch und generell Mehrsprachigkeit sowie weitere Kompetenzen, die gesellschaftliche Teilhabe ermöglichen.",
		"en": "We promote language skills in German and multilingualism in general, as well as other skills that make participation in society possible."},
	{"de": "Wir bekämpfen Rassismus, und jede andere Form von Diskriminierung in Hannover entschieden.",
		"en": "We resolutely fight racism and every other form of discrimination in Hannover."},
	{"de": "Diese Leitlinien, die der Humanität und der allgemeinen Erklärung der Menschenrechte verpflichtet sind, sind ein Maßstab für die gesamte Stadtgesellschaft.",
		"en": "These guidelines, committed to humanity and the Universal Declaration of Human Rights, are a standard for the whole of urban society."},
}

// Priorities are the two übergreifende Priorisierungen, German word for word.
var Priorities = []text{
	{"de": "Wir fördern konsequent Maßnahmen, die der Etablierung einer Kultur der Wertschätzung und Sichtbarkeit von Vielfalt dienen und gegen Diskriminierung in der Einwanderungsstadt wirken.",
		"en": "We consistently promote measures that help to establish a culture of appreciation and visibility of diversity and that work against discrimination in the city of immigration."},
	{"de": "Wir fördern die Öffnung und Durchlässigkeit gesellschaftlicher Institutionen für alle Menschen in der Einwanderungsstadt.",
		"en": "We promote the opening and permeability of social institutions for all people in the city of immigration."},
}

// Themes are the three Querschnittsthemen with their fixed keys.
var Themes = []consultations.ThemeInput{
	{Key: "gleichbehandlung", Title: text{"de": "Gleichbehandlung", "en": "Equal treatment"}},
	{Key: "diversitaet", Title: text{"de": "Anerkennung und Förderung von Diversität", "en": "Recognition and promotion of diversity"}},
	{Key: "zielgruppenorientierung", Title: text{"de": "Zielgruppenorientierte Kommunikation und Konzeption", "en": "Target-group-oriented communication and design"}},
}

var description = text{
	"de": "Das Strategiepapier \"WIR sind Hannover - Zusammenleben in der Stadt\" ist 2020 entstanden und bildet jetzt die Grundlage sowie den ersten Teil des WIR2.0. Es enthält sowohl die Leitlinien für die Einwanderungsstadt Hannover als auch Priorisierungen und Querschnittsthemen, an denen sich die später entwickelten Maßnahmen orientieren. Auch die Handlungsfelder sind hier bereits angelegt.\n\n" +
		"Entwickelt wurde das Strategiepapier - wie später auch die Maßnahmen - von sieben Expert*innengruppen unter der Berücksichtigung zahlreicher Impulse aus der Stadtgesellschaft.\n\n" +
		"Diese Beteiligung ist eine Demonstration von mitreden: Die Maßnahmen in den Handlungsfeldern sind Beispiele zur Veranschaulichung, keine Beschlüsse der Landeshauptstadt Hannover.",
	"en": "The strategy paper \"WIR sind Hannover – Zusammenleben in der Stadt\" (We are Hannover – living together in the city) was written in 2020 and is now the foundation and first part of WIR 2.0. It contains the guidelines for Hannover as a city of immigration as well as the priorities and cross-cutting themes that the measures developed later follow. It also lays out the fields of action.\n\n" +
		"Like the measures later on, the strategy paper was developed by seven expert groups, taking into account many suggestions from the city's residents.\n\n" +
		"This consultation demonstrates mitreden: the measures in the fields of action are examples for illustration, not decisions of the City of Hannover.",
}

// field is a field of action with its expert group and example measures.
type field struct {
	Slug        string    `json:"slug"`
	Title       text      `json:"title"`
	Description text      `json:"description"`
	Group       text      `json:"group"`
	Measures    []measure `json:"measures"`
}

type measure struct {
	Title   text     `json:"title"`
	Summary text     `json:"summary"`
	Themes  []string `json:"themes"`
	// A few measures carry a record, so that a newcomer sees at once what
	// becomes of a measure: a lead, the statuses after "proposed" with the
	// statement why, milestones and a document link. Statements and
	// titles say "Beispiel"; the link is the city's home page, no real
	// council paper.
	Lead    text `json:"lead"`
	History []struct {
		Status    string `json:"status"`
		Statement text   `json:"statement"`
	} `json:"history"`
	Milestones []consultations.MilestoneInput `json:"milestones"`
	Documents  []consultations.DocumentInput  `json:"documents"`
}

// fieldsJSON holds the six fields of action as data: titles in all six
// languages, descriptions, groups and measures in German and English.
//
//go:embed fields.json
var fieldsJSON []byte

var fields = func() []field {
	var fs []field
	if err := json.Unmarshal(fieldsJSON, &fs); err != nil {
		panic("demo: fields.json: " + err.Error())
	}
	return fs
}()

var exampleNote = text{
	"de": "Dies ist ein Beispiel, das zeigt, wie eine Maßnahme auf mitreden diskutiert wird. Es ist keine Entscheidung und kein Vorhaben der Landeshauptstadt Hannover.",
	"en": "This is an example that shows how a measure is discussed on mitreden. It is neither a decision nor a plan of the City of Hannover.",
}

// process says how the demo consultation works and what happens with
// what residents say: the text a city writes for its own.
var process = text{
	"de": "Sie können die Maßnahmen bewerten (dafür, dagegen, neutral), kommentieren und eigene Ideen einbringen. Die Moderation prüft jeden Beitrag vor der Veröffentlichung; abgelehnte Beiträge werden begründet.\n\nDie Expert*innengruppen der Handlungsfelder lesen alle Beiträge, antworten öffentlich und nehmen Ideen in Maßnahmen auf. Was aus jeder Maßnahme wird – Status mit Begründung, Meilensteine, Beschlüsse –, steht auf ihrer Seite und auf der Seite „Stand der Umsetzung“. Wer mitgemacht hat, wird benachrichtigt.",
	"en": "You can rate the measures (for, against, neutral), comment on them and bring in ideas of your own. Moderators check every contribution before it is published; a refusal always comes with reasons.\n\nThe expert groups of the fields of action read every contribution, answer publicly and take ideas up into measures. What becomes of each measure – its status with a statement, milestones, decisions – is on its page and on the page “Progress”. Everyone who took part is told.",
}

// youthGroup works across all six fields, so a field can have two groups.
var youthGroup = text{"de": "AG postmigrantisch", "en": "AG postmigrantisch (youth working group)"}

func consultationTitle() text {
	t := text{"de": Title, "en": "WIR sind Hannover – living together in the city"}
	merge(t, titleTranslations)
	return t
}

// Seed writes the demo consultation. It is run once, on an empty database.
func Seed(ctx context.Context, cons *consultations.Service, groups *experts.Service) error {
	slug, phase, moderation := Slug, consultations.PhaseOpen, consultations.ModerationPre
	guidelines, priorities, themes := Guidelines, Priorities, Themes
	if _, err := cons.Create(ctx, 0, consultations.Input{
		Slug: &slug, Title: consultationTitle(),
		Description: description, Process: process, Phase: &phase, Moderation: &moderation,
		Guidelines: &guidelines, Priorities: &priorities, Themes: &themes,
	}); err != nil {
		return fmt.Errorf("demo consultation: %w", err)
	}
	var allFields []int64
	for _, f := range fields {
		fslug := f.Slug
		created, err := cons.CreateField(ctx, 0, Slug, consultations.FieldInput{Slug: &fslug, Title: f.Title, Description: f.Description})
		if err != nil {
			return fmt.Errorf("demo field %s: %w", f.Slug, err)
		}
		allFields = append(allFields, created.ID)
		ids := []int64{created.ID}
		if _, err := groups.Create(ctx, 0, experts.Input{Name: experts.Name(f.Group), Fields: &ids}); err != nil {
			return fmt.Errorf("demo group for %s: %w", f.Slug, err)
		}
		for _, m := range f.Measures {
			if err := seedMeasure(ctx, cons, created.ID, m); err != nil {
				return fmt.Errorf("demo measure in %s: %w", f.Slug, err)
			}
		}
	}
	if _, err := groups.Create(ctx, 0, experts.Input{Name: experts.Name(youthGroup), Fields: &allFields}); err != nil {
		return fmt.Errorf("demo youth group: %w", err)
	}
	return nil
}

// seedMeasure creates an example measure and its record, through the
// service as an expert would (every status change with its statement).
func seedMeasure(ctx context.Context, cons *consultations.Service, fieldID int64, m measure) error {
	themes := m.Themes
	in := consultations.MeasureInput{Title: m.Title, Summary: m.Summary, Description: exampleNote, Themes: &themes}
	if m.Lead != nil {
		in.Lead = jsonapi.Nullable[locale.Text]{Set: true, Value: &m.Lead}
	}
	created, err := cons.CreateMeasure(ctx, 0, fieldID, in, true)
	if err != nil {
		return err
	}
	for _, h := range m.History {
		status := h.Status
		if _, err := cons.UpdateMeasure(ctx, 0, created.ID, consultations.MeasureInput{Status: &status, Statement: h.Statement}); err != nil {
			return err
		}
	}
	if len(m.Milestones) > 0 {
		if _, err := cons.ReplaceMilestones(ctx, 0, created.ID, m.Milestones); err != nil {
			return err
		}
	}
	if len(m.Documents) > 0 {
		if _, err := cons.ReplaceDocuments(ctx, 0, created.ID, m.Documents); err != nil {
			return err
		}
	}
	return nil
}
