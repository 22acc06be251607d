// Package typeschema writes the JSON Schema (draft 2020-12, the dialect of
// OpenAPI 3.1 and AsyncAPI 3.0) of Go types as encoding/json writes and
// reads them: tagged names, embedded structs flattened, omitempty fields
// optional, nil pointers, slices and maps null. The API and topic
// descriptions are made from the types themselves, so they cannot drift.
//
// The rules a field is checked by come from its validate tag, as
// github.com/go-playground/validator reads it where the values are
// checked: required, oneof (an enum), min and max (lengths, bounds), gt
// and lt, and the rules between fields (required_without,
// required_without_all, required_with, excluded_with). What only the
// domain checks is told by doc-only tags: format, pattern and doc (a
// description).
package typeschema

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Generator makes schemas. Its zero value writes every struct inline.
type Generator struct {
	// Special, when set, gives the schema of a type that encodes its own
	// way (a custom unmarshaler); false to let its kind decide.
	Special func(t reflect.Type) (map[string]any, bool)
	// RefPrefix, when set, makes each named struct type a definition of
	// its own, in Defs under Name's name, referred to as RefPrefix+name
	// ("#/components/schemas/").
	RefPrefix string
	// Name names a struct type's definition (its Go name when nil).
	Name func(t reflect.Type) string
	// Open leaves objects open to fields they do not declare; by default
	// they are closed (additionalProperties: false).
	Open bool
	// Defs holds the definitions made, by name.
	Defs  map[string]any
	named map[reflect.Type]string
	used  map[string]bool
}

var (
	timeType   = reflect.TypeOf(time.Time{})
	numberType = reflect.TypeOf(json.Number(""))
)

// Of returns the schema of values of t, as they are written: a field is
// required unless it is omitempty or a pointer.
func (g *Generator) Of(t reflect.Type) map[string]any { return g.of(t, false) }

// Input returns the schema of t as a body to decode: a field is required
// when its validate tag says so. With RefPrefix, a struct type is defined
// once, as its first use has it: give input and output types of their own.
func (g *Generator) Input(t reflect.Type) map[string]any { return g.of(t, true) }

func (g *Generator) of(t reflect.Type, input bool) map[string]any {
	if g.Special != nil {
		if s, ok := g.Special(t); ok {
			return s
		}
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == numberType:
		return map[string]any{"type": "number"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return nullable(g.of(t.Elem(), input))
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array: // a nil slice is written null
		return nullable(map[string]any{"type": "array", "items": g.of(t.Elem(), input)})
	case reflect.Map:
		return nullable(map[string]any{"type": "object", "additionalProperties": g.of(t.Elem(), input)})
	case reflect.Struct:
		if g.RefPrefix != "" && t.Name() != "" {
			return g.ref(t, input)
		}
		return g.object(t, input)
	}
	return map[string]any{}
}

// object is the schema of struct type t.
func (g *Generator) object(t reflect.Type, input bool) map[string]any {
	o := &objectSchema{props: map[string]any{}, names: map[string]string{}}
	g.fields(t, input, o)
	s := map[string]any{"type": "object", "properties": o.props}
	if len(o.required) > 0 {
		s["required"] = o.required
	}
	if !g.Open {
		s["additionalProperties"] = false
	}
	o.between(s)
	return s
}

// ref defines struct type t once and refers to it.
func (g *Generator) ref(t reflect.Type, input bool) map[string]any {
	if g.named == nil {
		g.named, g.used = map[reflect.Type]string{}, map[string]bool{}
	}
	if g.Defs == nil {
		g.Defs = map[string]any{}
	}
	name, ok := g.named[t]
	if !ok {
		name = t.Name()
		if g.Name != nil {
			name = g.Name(t)
		}
		for g.used[name] {
			name += "_" // two types of one name in different packages
		}
		g.named[t], g.used[name] = name, true
		g.Defs[name] = g.object(t, input)
	}
	return map[string]any{"$ref": g.RefPrefix + name}
}

// nullable lets s also be null, as encoding/json writes a nil pointer,
// slice or map.
func nullable(s map[string]any) map[string]any {
	if t, ok := s["type"].(string); ok {
		s["type"] = []string{t, "null"}
	}
	return s
}

// objectSchema collects an object's properties and the rules between them,
// which name fields by their Go names until every JSON name is known.
type objectSchema struct {
	props    map[string]any
	required []string
	names    map[string]string // Go field name -> JSON name
	rules    []rule
}

// rule is a validate rule between fields: field's tag names others.
type rule struct {
	tag, field string
	others     []string
}

// fields adds t's JSON fields to o, flattening embedded structs as
// encoding/json does (a field of the outer struct wins).
func (g *Generator) fields(t reflect.Type, input bool, o *objectSchema) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			g.fields(f.Type, input, o)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		o.names[f.Name] = name
		o.required = removed(o.required, name) // an outer field replaces an embedded one
		schema, checks := g.field(f, input)
		o.props[name] = schema
		switch {
		case checks.has("required"):
			o.required = append(o.required, name)
		case !input && !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer:
			o.required = append(o.required, name)
		}
		for _, r := range checks {
			switch r.name {
			case "required_without", "required_without_all", "required_with", "excluded_with":
				o.rules = append(o.rules, rule{tag: r.name, field: f.Name, others: strings.Fields(r.param)})
			}
		}
	}
}

// Param returns the schema of a struct field's values as a parameter (of
// a query string: present or not, never null), with what its tags say of
// them, and whether its validate tag requires it.
func (g *Generator) Param(f reflect.StructField) (schema map[string]any, required bool) {
	for f.Type.Kind() == reflect.Pointer {
		f.Type = f.Type.Elem()
	}
	schema, checks := g.field(f, true)
	return schema, checks.has("required")
}

func (g *Generator) field(f reflect.StructField, input bool) (map[string]any, checks) {
	schema := g.of(f.Type, input)
	checks := parseValidate(f.Tag.Get("validate"))
	annotate(schema, f, checks)
	return schema, checks
}

// between writes the rules between fields into s.
func (o *objectSchema) between(s map[string]any) {
	var all []any
	dependent := map[string][]string{}
	for _, r := range o.rules {
		field, others := o.names[r.field], make([]string, len(r.others))
		for i, other := range r.others {
			others[i] = o.names[other]
		}
		switch r.tag {
		case "required_without_all": // present, or one of the others is
			either := []any{map[string]any{"required": []string{field}}}
			for _, other := range others {
				either = append(either, map[string]any{"required": []string{other}})
			}
			all = append(all, map[string]any{"anyOf": either})
		case "required_without": // present, or all the others are
			all = append(all, map[string]any{"anyOf": []any{map[string]any{"required": []string{field}}, map[string]any{"required": others}}})
		case "required_with": // present whenever any of the others is
			for _, other := range others {
				dependent[other] = append(dependent[other], field)
			}
		case "excluded_with": // absent whenever any of the others is there
			var both []any
			for _, other := range others {
				both = append(both, map[string]any{"required": []string{field, other}})
			}
			all = append(all, map[string]any{"not": map[string]any{"anyOf": both}})
		}
	}
	if len(dependent) > 0 {
		s["dependentRequired"] = dependent
	}
	if len(all) > 0 {
		s["allOf"] = all
	}
}

// annotate adds to schema what field f's tags say of its values.
func annotate(schema map[string]any, f reflect.StructField, checks checks) {
	kind := f.Type.Kind()
	if kind == reflect.Pointer {
		kind = f.Type.Elem().Kind()
	}
	text := kind == reflect.String
	number := func(s string) any {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
		n, _ := strconv.ParseFloat(s, 64)
		return n
	}
	for _, c := range checks {
		switch c.name {
		case "oneof":
			var enum []any
			for _, v := range strings.Fields(c.param) {
				if text {
					enum = append(enum, v)
				} else {
					enum = append(enum, number(v))
				}
			}
			schema["enum"] = enum
		case "min", "gte":
			if text {
				schema["minLength"] = number(c.param)
			} else {
				schema["minimum"] = number(c.param)
			}
		case "max", "lte":
			if text {
				schema["maxLength"] = number(c.param)
			} else {
				schema["maximum"] = number(c.param)
			}
		case "email":
			schema["format"] = "email"
		case "gt":
			schema["exclusiveMinimum"] = number(c.param)
		case "lt":
			schema["exclusiveMaximum"] = number(c.param)
		}
	}
	if t, ok := schema["type"].([]string); ok && t[1] == "null" {
		if enum, ok := schema["enum"].([]any); ok {
			schema["enum"] = append(enum, nil) // a nil pointer is written null
		}
	}
	for _, key := range []string{"format", "pattern"} {
		if v := f.Tag.Get(key); v != "" {
			schema[key] = v
		}
	}
	if doc := f.Tag.Get("doc"); doc != "" {
		schema["description"] = doc
	}
}

// check is one rule of a validate tag: its name and parameter.
type check struct{ name, param string }

type checks []check

func (cs checks) has(name string) bool {
	for _, c := range cs {
		if c.name == name {
			return true
		}
	}
	return false
}

// parseValidate reads a validate tag ("required,oneof=a b,max=10").
func parseValidate(tag string) checks {
	var out checks
	for _, part := range strings.Split(tag, ",") {
		if part = strings.TrimSpace(part); part != "" {
			name, param, _ := strings.Cut(part, "=")
			out = append(out, check{name, param})
		}
	}
	return out
}

func removed(xs []string, x string) []string {
	out := xs[:0]
	for _, v := range xs {
		if v != x {
			out = append(out, v)
		}
	}
	return out
}
