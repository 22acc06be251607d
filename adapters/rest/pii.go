package rest

import (
	"bytes"
	"encoding/json"

	"github.com/fintechlabs/customers/core/pii"
)

// piiFields are the answer fields that hold personal data, wherever they
// appear, and how each is masked for a key without the pii:read scope.
var piiFields = map[string]func(string) string{
	"email":     func(s string) string { return pii.Email(s).Masked() },
	"phone":     func(s string) string { return pii.Phone(s).Masked() },
	"recipient": pii.MaskRecipient,
	"birthDate": func(string) string { return "****-**-**" },
}

// maskPII returns v, as JSON, with every personal field masked. It works on
// the encoded answer rather than on each body type, so that no answer,
// however nested, can forget a field.
func maskPII(v any) (any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // numbers stay as they were written
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	return maskTree(tree), nil
}

func maskTree(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := val.(string); ok && s != "" {
				if mask, personal := piiFields[k]; personal {
					x[k] = mask(s)
					continue
				}
			}
			x[k] = maskTree(val)
		}
	case []any:
		for i := range x {
			x[i] = maskTree(x[i])
		}
	}
	return v
}
