package customerapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/fintechlabs/customers/adapters/rest"
)

// The original's contract beside ours, in one place: the names its clients
// give request fields, and its routes, served unless rest.Options.OursOnly
// (HTTP_ORIGINAL_ALIASES=false). A field and its alias are not both taken:
// 400 request.ambiguous.

// originalActivation is an activation with the original's name for its
// reason, activationReason.
type originalActivation struct {
	activateRequest
	ActivationReason *string `json:"activationReason" validate:"excluded_with=Reason,omitempty,max=500" doc:"the original's name for reason"`
}

// SchemaName implements rest.Named.
func (originalActivation) SchemaName() string { return "ActivateRequest" }

// Ours implements rest.Aliased.
func (o originalActivation) Ours() activateRequest {
	if o.ActivationReason != nil {
		o.Reason = *o.ActivationReason
	}
	return o.activateRequest
}

// originalDeactivation is a deactivation with the original's name for its
// reason, deactivationReason.
type originalDeactivation struct {
	deactivateRequest
	DeactivationReason *string `json:"deactivationReason" validate:"excluded_with=Reason,omitempty,max=500" doc:"the original's name for reason"`
}

// SchemaName implements rest.Named.
func (originalDeactivation) SchemaName() string { return "DeactivateRequest" }

// Ours implements rest.Aliased.
func (o originalDeactivation) Ours() deactivateRequest {
	if o.DeactivationReason != nil {
		o.Reason = *o.DeactivationReason
	}
	return o.deactivateRequest
}

// originalRoutes are the original's routes that ours do not cover.
func (h *handler) originalRoutes() []rest.Route {
	return []rest.Route{{Method: http.MethodPost, Pattern: "/customers/promote/{customerId}", Scope: rest.ScopeCustomersWrite,
		Handler: http.HandlerFunc(h.promoteByPath), Summary: "Promote a customer to a tier, as the original's path named it",
		Body: promotePathRequest{}, BodyOptional: true, Answer: changedBody{}}}
}

// promotePathRequest is the optional body of the original's POST
// /customers/promote/{customerId}; a customerId in it must be the path's.
type promotePathRequest struct {
	CustomerID string `json:"customerId" validate:"max=128" doc:"the path's, if given"`
	NewTier    string `json:"newTier" validate:"omitempty,oneof=basic premium vip" doc:"the next tier up when left out"`
	Reason     string `json:"reason" validate:"max=500"`
}

func (h *handler) promoteByPath(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "customerId")
	var req promotePathRequest
	if !rest.Decode(w, r, &req, true) {
		return
	}
	if req.CustomerID != "" && req.CustomerID != id {
		rest.BadRequest(w, r, http.StatusBadRequest, "request.id_mismatch", "customerId in the body differs from the one in the path",
			rest.FieldError{Field: "customerId", Message: "must match the path or be left out"})
		return
	}
	h.promoteTo(w, r, id, req.NewTier, req.Reason)
}
