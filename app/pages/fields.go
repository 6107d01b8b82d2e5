package pages

import (
	"strings"

	"github.com/mitreden/mitreden/app/locale"
)

// InputField is what the "input" partial renders: a labelled input with
// its error linked by aria-describedby.
type InputField struct {
	// ID makes the element's id "field-ID"; it differs from Name when a
	// page has several forms with the same fields.
	ID, Name, Type, Label, Value, Error, Hint, Autocomplete string
	// Lang is the language of the text typed in, when it is not the
	// page's (a translation), so spell checkers and screen readers follow.
	Lang      string
	Required  bool
	MaxLength int
}

// DescribedBy lists the ids of the hint and error, if any.
func (f InputField) DescribedBy() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, "field-"+f.ID+"-hint")
	}
	if f.Error != "" {
		ids = append(ids, "field-"+f.ID+"-error")
	}
	return strings.Join(ids, " ")
}

// Input prepares a form input; password inputs are never filled again.
// typ "textarea" renders a text area.
func (v *View) Input(name, typ, labelKey, autocomplete string, required bool) InputField {
	return v.Field(name, name, typ, labelKey, autocomplete, required)
}

// Field is Input with an element id of its own.
func (v *View) Field(id, name, typ, labelKey, autocomplete string, required bool) InputField {
	f := InputField{ID: id, Name: name, Type: typ, Label: v.T(labelKey), Error: v.ErrorFor(id), Autocomplete: autocomplete, Required: required}
	if typ != "password" {
		f.Value = v.Form[name]
	}
	return f
}

// WithMax limits the input's length in characters.
func (f InputField) WithMax(n int) InputField {
	f.MaxLength = n
	return f
}

// WithValue fills the input when the page was not sent back with errors.
func (f InputField) WithValue(value string) InputField {
	f.Value = value
	return f
}

// WithHint adds a hint below the label.
func (f InputField) WithHint(hint string) InputField {
	f.Hint = hint
	return f
}

// WithLabel replaces the label, for labels that need arguments.
func (f InputField) WithLabel(label string) InputField {
	f.Label = label
	return f
}

// InLang marks the field's text as written in the language code.
func (f InputField) InLang(code string) InputField {
	f.Lang = code
	return f
}

// SelectField is what the "select" partial renders.
type SelectField struct {
	InputField
	Options []Option
}

// Option is one choice of a select.
type Option struct {
	Value, Label string
	Selected     bool
}

// Select prepares a select of values, each labelled by the catalog key
// keyPrefix+value, with the submitted value chosen.
func (v *View) Select(name, labelKey, keyPrefix string, values []string) SelectField {
	f := SelectField{InputField: v.Input(name, "select", labelKey, "", false)}
	for _, val := range values {
		f.Options = append(f.Options, Option{Value: val, Label: v.T(keyPrefix + val), Selected: val == f.Value})
	}
	return f
}

// WithHint adds a hint below the label.
func (f SelectField) WithHint(hint string) SelectField {
	f.Hint = hint
	return f
}

// WithBlank puts a first choice of nothing (such as "all roles") before the others.
func (f SelectField) WithBlank(label string) SelectField {
	f.Options = append([]Option{{Value: "", Label: label, Selected: f.Value == ""}}, f.Options...)
	return f
}

// FilterSelect is one choice of the form that narrows a list (the
// "list-filters" partial): ?Name=, labelled by the catalog key LabelKey,
// its first option All (labelled by AllKey) narrowing nothing.
type FilterSelect struct {
	Name, LabelKey string
	All, AllKey    string
	Options        []Option
	// Groups follow Options, each under its heading (the fields of each
	// consultation).
	Groups []OptionGroup
}

// OptionGroup is options under a heading.
type OptionGroup struct {
	Label   string
	Options []Option
}

// Filling is how much of one language's part of a translated form is
// filled in; admin forms fold each translation away and say this instead.
type Filling struct {
	Filled, Total int
	// Error is whether one of the inputs has an error: its part must then
	// be shown open, so the error summary's link reaches it.
	Error bool
}

// Complete reports whether every input is filled in.
func (f Filling) Complete() bool { return f.Filled == f.Total }

// Filling counts the inputs named that hold text, and notes an error on one.
func (v *View) Filling(names ...string) Filling {
	f := Filling{Total: len(names)}
	for _, n := range names {
		if strings.TrimSpace(v.Form[n]) != "" {
			f.Filled++
		}
		if v.ErrorFor(n) != "" {
			f.Error = true
		}
	}
	return f
}

// TranslationFilling is the Filling of the inputs prefix.<lang> of every
// language but German, which is shown apart as the one required.
func (v *View) TranslationFilling(prefix string) Filling {
	var names []string
	for _, l := range v.Langs {
		if l.Code != locale.Default {
			names = append(names, prefix+"."+l.Code)
		}
	}
	return v.Filling(names...)
}
