package fault

// Fields collects field errors so that validation reports every problem at
// once instead of the first one.
type Fields []FieldError

// Add records a problem with field.
func (f *Fields) Add(field, message string) {
	*f = append(*f, FieldError{Field: field, Message: message})
}

// Check records message for field when err is not nil, using err's text.
func (f *Fields) Check(field string, err error) {
	if err != nil {
		f.Add(field, err.Error())
	}
}

// Merge adds other's problems under prefix (for nested objects).
func (f *Fields) Merge(prefix string, other Fields) {
	for _, e := range other {
		f.Add(prefix+"."+e.Field, e.Message)
	}
}

// Err returns nil when no problem was recorded, otherwise an Invalid error
// with message and every field error.
func (f Fields) Err(message string) error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Kind: Invalid, Code: "validation", Message: message, Fields: append([]FieldError(nil), f...)}
}
