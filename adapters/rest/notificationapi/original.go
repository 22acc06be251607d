package notificationapi

// The original's contract beside ours, in one place: the names its clients
// give request fields, served unless rest.Options.OursOnly
// (HTTP_ORIGINAL_ALIASES=false). A field and its alias are not both taken: 400
// request.ambiguous.

// originalEmail takes both of the original's shapes: {to, subject,
// template, data} and {customerId, email, template, data}.
type originalEmail struct {
	To         string       `json:"to" validate:"required_without=Email,max=254,pattern" message:"must be a valid email address such as juan@example.com" format:"email" pattern:"^[A-Za-z0-9!#$%&'*+/=?^_\\x60{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_\\x60{|}~-]+)*@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$"`
	Email      string       `json:"email" validate:"excluded_with=To,max=254,pattern" message:"must be a valid email address such as juan@example.com" format:"email" pattern:"^[A-Za-z0-9!#$%&'*+/=?^_\\x60{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_\\x60{|}~-]+)*@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$" doc:"the original's name for to"`
	CustomerID string       `json:"customerId" validate:"max=128" doc:"joins the message to the customer's history (needs customers:write)"`
	Subject    string       `json:"subject" validate:"required_without=Template,max=200"`
	Template   string       `json:"template" validate:"max=64" doc:"one of ours (GET /notifications/templates), or a label of the client's own"`
	Body       string       `json:"body" validate:"max=10000"`
	Language   string       `json:"language" validate:"omitempty,oneof=es en" doc:"es when left out"`
	Data       templateData `json:"data"`
}

// originalSMS takes {to, message} and the original's {customerId, phone,
// template, data}.
type originalSMS struct {
	To         string       `json:"to" validate:"required_without=Phone,pattern" message:"must be an E.164 phone number such as +34600111222" pattern:"^\\s*\\+[ ().-]*[1-9]([ ().-]*[0-9]){7,14}[ ().-]*\\s*$"`
	Phone      string       `json:"phone" validate:"excluded_with=To,pattern" message:"must be an E.164 phone number such as +34600111222" pattern:"^\\s*\\+[ ().-]*[1-9]([ ().-]*[0-9]){7,14}[ ().-]*\\s*$" doc:"the original's name for to"`
	CustomerID string       `json:"customerId" validate:"max=128" doc:"joins the message to the customer's history (needs customers:write)"`
	Message    string       `json:"message" validate:"required_without=Template,max=1600"`
	Template   string       `json:"template" validate:"max=64" doc:"one of ours (GET /notifications/templates), or a label of the client's own"`
	Language   string       `json:"language" validate:"omitempty,oneof=es en" doc:"es when left out"`
	Data       templateData `json:"data"`
}

// SchemaName implements rest.Named.
func (originalEmail) SchemaName() string { return "EmailRequest" }

// Ours implements rest.Aliased: the recipient is to, or email.
func (o originalEmail) Ours() emailRequest {
	to, via := recipient(o.To, o.Email, "email")
	return emailRequest{To: to, CustomerID: o.CustomerID, Subject: o.Subject, Template: o.Template, Body: o.Body,
		Language: o.Language, Data: o.Data, via: via}
}

// SchemaName implements rest.Named.
func (originalSMS) SchemaName() string { return "SmsRequest" }

// Ours implements rest.Aliased: the recipient is to, or phone.
func (o originalSMS) Ours() smsRequest {
	to, via := recipient(o.To, o.Phone, "phone")
	return smsRequest{To: to, CustomerID: o.CustomerID, Message: o.Message, Template: o.Template, Language: o.Language,
		Data: o.Data, via: via}
}

// recipient picks "to" or its alias (their tags refuse both), and the
// field it came in.
func recipient(to, alias, aliasName string) (string, string) {
	if alias != "" {
		return alias, aliasName
	}
	return to, "to"
}
