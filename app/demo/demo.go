// Package demo seeds the demo consultation "WIR sind Hannover –
// Zusammenleben in der Stadt" (WIR 2.0): its guidelines, priorities and
// cross-cutting themes word for word from the city's strategy paper, its six
// fields of action, seven expert groups, and a few example measures per
// field. The measures are illustrations, marked as examples everywhere,
// never presented as the city's decisions.
package demo

import (
	"context"
	"fmt"

	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/experts"
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

type field struct {
	slug        string
	title       text
	description text
	group       text
	measures    []measure
}

type measure struct {
	title, summary text
	themes         []string
}

var exampleNote = text{
	"de": "Dies ist ein Beispiel, das zeigt, wie eine Maßnahme auf mitreden diskutiert wird. Es ist keine Entscheidung und kein Vorhaben der Landeshauptstadt Hannover.",
	"en": "This is an example that shows how a measure is discussed on mitreden. It is neither a decision nor a plan of the City of Hannover.",
}

var fields = []field{
	{
		slug:        "bildung",
		title:       text{"de": "Bildung", "en": "Education"},
		description: text{"de": "Gleiche Bildungschancen von der Kita bis zur Weiterbildung, Sprachförderung und Mehrsprachigkeit.", "en": "Equal educational opportunities from day care to further education, language support and multilingualism."},
		group:       text{"de": "Expert*innengruppe Bildung", "en": "Expert group Education"},
		measures: []measure{
			{text{"de": "Mehrsprachige Elternabende an Grundschulen", "en": "Multilingual parents' evenings at primary schools"},
				text{"de": "Grundschulen laden zu Elternabenden mit Dolmetschung in die häufigsten Familiensprachen ein.", "en": "Primary schools hold parents' evenings with interpreting into the most common family languages."},
				[]string{"zielgruppenorientierung", "gleichbehandlung"}},
			{text{"de": "Herkunftssprachlicher Unterricht als Wahlfach", "en": "Heritage-language lessons as an elective"},
				text{"de": "Schulen bieten Unterricht in Herkunftssprachen an, der im Zeugnis anerkannt wird.", "en": "Schools offer lessons in heritage languages that count on the school report."},
				[]string{"diversitaet"}},
			{text{"de": "Bildungslots*innen für neu zugewanderte Familien", "en": "Education guides for newly arrived families"},
				text{"de": "Geschulte Lots*innen begleiten Familien durch Anmeldung, Schulwahl und Förderangebote.", "en": "Trained guides accompany families through registration, choice of school and support programmes."},
				[]string{"zielgruppenorientierung"}},
		},
	},
	{
		slug:        "soziales",
		title:       text{"de": "Soziales", "en": "Social affairs"},
		description: text{"de": "Zugang zu Beratung, Gesundheit, Wohnen und sozialen Diensten für alle Menschen in der Stadt.", "en": "Access to advice, health, housing and social services for everyone in the city."},
		group:       text{"de": "Expert*innengruppe Soziales", "en": "Expert group Social affairs"},
		measures: []measure{
			{text{"de": "Sozialberatung in Stadtteilzentren in mehreren Sprachen", "en": "Social counselling in district centres in several languages"},
				text{"de": "Beratung zu Sozialleistungen wird in Stadtteilzentren auch auf Türkisch, Arabisch, Russisch und Ukrainisch angeboten.", "en": "Advice on social benefits is also offered in Turkish, Arabic, Russian and Ukrainian in district centres."},
				[]string{"zielgruppenorientierung"}},
			{text{"de": "Interkulturelle Öffnung der Seniorenarbeit", "en": "Intercultural opening of work with older people"},
				text{"de": "Angebote für ältere Menschen werden gemeinsam mit migrantischen Vereinen geplant.", "en": "Services for older people are planned together with migrant associations."},
				[]string{"diversitaet", "gleichbehandlung"}},
		},
	},
	{
		slug:        "demokratie",
		title:       text{"de": "Demokratie", "en": "Democracy"},
		description: text{"de": "Politische Teilhabe, Mitbestimmung und Engagement aller Einwohner*innen, unabhängig von der Staatsangehörigkeit.", "en": "Political participation, co-determination and engagement of all residents, regardless of citizenship."},
		group:       text{"de": "Expert*innengruppe Demokratie", "en": "Expert group Democracy"},
		measures: []measure{
			{text{"de": "Einwohner*innenfragestunde in mehreren Sprachen", "en": "Residents' question time in several languages"},
				text{"de": "Fragen an den Stadtbezirksrat können auch in anderen Sprachen gestellt und übersetzt beantwortet werden.", "en": "Questions to the district council can also be asked in other languages and are answered with translation."},
				[]string{"zielgruppenorientierung"}},
			{text{"de": "Workshops zu Demokratie und Mitbestimmung für Neuzugewanderte", "en": "Workshops on democracy and participation for newcomers"},
				text{"de": "Kurze Workshops erklären, wie man in Hannover mitreden und mitentscheiden kann.", "en": "Short workshops explain how people can have a say and take part in decisions in Hannover."},
				[]string{"gleichbehandlung"}},
		},
	},
	{
		slug:        "stadtleben-kultur",
		title:       text{"de": "Stadtleben und Kultur", "en": "Urban life and culture"},
		description: text{"de": "Nachbarschaft, Kultur, Sport und Begegnung: die Vielfalt der Stadtgesellschaft sichtbar machen.", "en": "Neighbourhood, culture, sport and encounters: making the diversity of urban society visible."},
		group:       text{"de": "Expert*innengruppe Stadtleben und Kultur", "en": "Expert group Urban life and culture"},
		measures: []measure{
			{text{"de": "Interkulturelle Stadtteilfeste fördern", "en": "Support intercultural neighbourhood festivals"},
				text{"de": "Ein kleiner Fonds unterstützt Nachbarschaftsfeste, die von mehreren Vereinen gemeinsam organisiert werden.", "en": "A small fund supports neighbourhood festivals organised jointly by several associations."},
				[]string{"diversitaet"}},
			{text{"de": "Mehrsprachige Angebote in der Stadtbibliothek", "en": "Multilingual services in the city library"},
				text{"de": "Die Stadtbibliothek erweitert Medien und Vorlesestunden in den Sprachen der Stadtgesellschaft.", "en": "The city library extends its media and story hours in the languages spoken in the city."},
				[]string{"zielgruppenorientierung", "diversitaet"}},
			{text{"de": "Migrationsgeschichte im Stadtbild sichtbar machen", "en": "Making the history of migration visible in the city"},
				text{"de": "Tafeln und Stadtrundgänge erzählen von Menschen, die nach Hannover eingewandert sind.", "en": "Plaques and city walks tell the stories of people who came to Hannover."},
				[]string{"diversitaet"}},
		},
	},
	{
		slug:        "wirtschaft",
		title:       text{"de": "Wirtschaft", "en": "Economy"},
		description: text{"de": "Arbeit, Ausbildung, Anerkennung von Abschlüssen und Unternehmertum in der Einwanderungsstadt.", "en": "Work, vocational training, recognition of qualifications and entrepreneurship in the city of immigration."},
		group:       text{"de": "Expert*innengruppe Wirtschaft", "en": "Expert group Economy"},
		measures: []measure{
			{text{"de": "Beratung zur Anerkennung ausländischer Berufsabschlüsse", "en": "Advice on the recognition of foreign qualifications"},
				text{"de": "Eine zentrale Anlaufstelle hilft, ausländische Abschlüsse schneller anerkennen zu lassen.", "en": "A central contact point helps to get foreign qualifications recognised faster."},
				[]string{"gleichbehandlung"}},
			{text{"de": "Gründungsberatung für migrantische Unternehmer*innen", "en": "Start-up advice for migrant entrepreneurs"},
				text{"de": "Gründungsberatung wird mit migrantischen Unternehmensnetzwerken gemeinsam angeboten.", "en": "Start-up advice is offered together with migrant business networks."},
				[]string{"diversitaet"}},
		},
	},
	{
		slug:        "verwaltung-interkulturelle-oeffnung",
		title:       text{"de": "Stadtverwaltung und interkulturelle Öffnung", "en": "City administration and intercultural opening"},
		description: text{"de": "Eine Verwaltung, die die Vielfalt der Stadt widerspiegelt und für alle Menschen gut erreichbar ist.", "en": "An administration that reflects the diversity of the city and is easy to reach for everyone."},
		group:       text{"de": "Expert*innengruppe Stadtverwaltung und interkulturelle Öffnung", "en": "Expert group City administration and intercultural opening"},
		measures: []measure{
			{text{"de": "Anonymisierte Bewerbungsverfahren in der Stadtverwaltung", "en": "Anonymised application procedures in the city administration"},
				text{"de": "In ausgewählten Bereichen werden Bewerbungen zunächst ohne Namen, Foto und Herkunft gesichtet.", "en": "In selected departments, applications are first reviewed without name, photo or origin."},
				[]string{"gleichbehandlung"}},
			{text{"de": "Diversitätstrainings für Mitarbeitende mit Publikumsverkehr", "en": "Diversity training for staff who serve the public"},
				text{"de": "Mitarbeitende in Bürgerämtern nehmen an Trainings zu Vielfalt und Antidiskriminierung teil.", "en": "Staff in citizens' offices take part in training on diversity and anti-discrimination."},
				[]string{"diversitaet", "gleichbehandlung"}},
			{text{"de": "Formulare in Leichter Sprache und mehreren Sprachen", "en": "Forms in plain language and several languages"},
				text{"de": "Die wichtigsten Formulare und Bescheide werden in Leichter Sprache und mehreren Sprachen erklärt.", "en": "The most important forms and notices are explained in plain language and several languages."},
				[]string{"zielgruppenorientierung"}},
		},
	},
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
		Description: description, Phase: &phase, Moderation: &moderation,
		Guidelines: &guidelines, Priorities: &priorities, Themes: &themes,
	}); err != nil {
		return fmt.Errorf("demo consultation: %w", err)
	}
	var allFields []int64
	for _, f := range fields {
		fslug := f.slug
		created, err := cons.CreateField(ctx, 0, Slug, consultations.FieldInput{Slug: &fslug, Title: f.title, Description: f.description})
		if err != nil {
			return fmt.Errorf("demo field %s: %w", f.slug, err)
		}
		allFields = append(allFields, created.ID)
		ids := []int64{created.ID}
		if _, err := groups.Create(ctx, 0, experts.Input{Name: experts.Name(f.group), Fields: &ids}); err != nil {
			return fmt.Errorf("demo group for %s: %w", f.slug, err)
		}
		for _, m := range f.measures {
			themes := m.themes
			if _, err := cons.CreateMeasure(ctx, 0, created.ID, consultations.MeasureInput{
				Title: m.title, Summary: m.summary, Description: exampleNote, Themes: &themes,
			}, true); err != nil {
				return fmt.Errorf("demo measure in %s: %w", f.slug, err)
			}
		}
	}
	if _, err := groups.Create(ctx, 0, experts.Input{Name: experts.Name(youthGroup), Fields: &allFields}); err != nil {
		return fmt.Errorf("demo youth group: %w", err)
	}
	return nil
}
