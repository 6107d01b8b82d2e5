package admin

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/mitreden/mitreden/app/consultations"
	"github.com/mitreden/mitreden/app/locale"
)

// translatable is a text the administration keeps in every language: what
// it is (a catalog key), its name, the form where it is written, and its
// parts.
type translatable struct {
	KindKey string
	Name    locale.Text
	Href    string
	parts   []textPart
}

// textPart is one input of a translatable text, named by its label key;
// a list (guidelines, priorities) has several texts.
type textPart struct {
	labelKey string
	texts    []locale.Text
}

func part(labelKey string, texts ...locale.Text) textPart {
	return textPart{labelKey: labelKey, texts: texts}
}

// missing answers the label keys of the parts written in German but not
// in lang.
func (t translatable) missing(lang string) []string {
	var keys []string
	for _, p := range t.parts {
		for _, text := range p.texts {
			if strings.TrimSpace(text[locale.Default]) != "" && strings.TrimSpace(text[lang]) == "" {
				keys = append(keys, p.labelKey)
				break
			}
		}
	}
	return keys
}

// translationGap is a text that lacks one language, with the parts missing
// (their labels, translated for the page).
type translationGap struct {
	translatable
	Parts string
}

type languageGaps struct {
	Lang locale.Lang
	Gaps []translationGap
}

// TranslationsPage is GET /admin/translations: for every language but
// German (which every form requires), the texts that lack it, each linked
// to the form where it is written.
func (h *Handlers) TranslationsPage(c *fiber.Ctx) error {
	texts, err := h.translatables(c)
	if err != nil {
		return err
	}
	l := locale.From(c)
	var data []languageGaps
	for _, lang := range h.catalog.Langs() {
		if lang.Code == locale.Default {
			continue
		}
		lg := languageGaps{Lang: lang}
		for _, t := range texts {
			keys := t.missing(lang.Code)
			if len(keys) == 0 {
				continue
			}
			labels := make([]string, len(keys))
			for i, k := range keys {
				labels[i] = l.T(k)
			}
			lg.Gaps = append(lg.Gaps, translationGap{translatable: t, Parts: strings.Join(labels, ", ")})
		}
		data = append(data, lg)
	}
	v := h.view(c, "admin.translations")
	v.Data = data
	return h.pages.Render(c, fiber.StatusOK, "admin_translations", v)
}

// translatables lists every consultation with its themes, fields and
// measures, then the expert groups.
func (h *Handlers) translatables(c *fiber.Ctx) ([]translatable, error) {
	list, err := h.allConsultations(c)
	if err != nil {
		return nil, err
	}
	var out []translatable
	for _, d := range list {
		href := "/admin/consultations/" + d.Slug
		out = append(out, translatable{KindKey: "admin.kind.consultation", Name: d.Title, Href: href, parts: []textPart{
			part("label.title", d.Title), part("label.description", d.Description), part("admin.process", d.Process),
			part("label.guidelines", numberedTexts(d.Guidelines)...), part("label.priorities", numberedTexts(d.Priorities)...),
		}})
		for i, th := range d.Themes {
			out = append(out, translatable{KindKey: "admin.kind.theme", Name: th.Title, Href: href + "#field-themes." + strconv.Itoa(i) + ".key",
				parts: []textPart{part("label.title", th.Title)}})
		}
		for _, f := range d.Fields {
			measures, err := h.fieldTranslatables(c, f)
			if err != nil {
				return nil, err
			}
			out = append(out, measures...)
		}
	}
	groups, err := h.Experts.List(c.UserContext(), 0, listAll)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		out = append(out, translatable{KindKey: "admin.kind.group", Name: g.Name, Href: groupPath(g.ID, ""), parts: []textPart{part("label.name", g.Name)}})
	}
	return out, nil
}

// fieldTranslatables is a field of action and its measures.
func (h *Handlers) fieldTranslatables(c *fiber.Ctx, f consultations.FieldSummary) ([]translatable, error) {
	out := []translatable{{KindKey: "admin.kind.field", Name: f.Title, Href: "/admin/fields/" + strconv.FormatInt(f.ID, 10), parts: []textPart{
		part("label.title", f.Title), part("label.description", f.Description),
	}}}
	measures, err := h.Consultations.ListMeasures(c.UserContext(), f.ID, 0, listAll)
	if err != nil {
		return nil, err
	}
	for _, m := range measures {
		out = append(out, translatable{KindKey: "admin.kind.measure", Name: m.Title, Href: "/measures/" + strconv.FormatInt(m.ID, 10) + "/edit", parts: []textPart{
			part("label.title", m.Title), part("label.summary", m.Summary), part("label.description", m.Description),
		}})
	}
	return out, nil
}

func numberedTexts(items []consultations.Numbered) []locale.Text {
	out := make([]locale.Text, len(items))
	for i, item := range items {
		out[i] = item.Text
	}
	return out
}
