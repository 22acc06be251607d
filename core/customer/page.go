package customer

// Page is one page of customers and the cursor to the next ("" at the end).
type Page struct {
	Customers []Customer
	Next      string
}

// Filter selects customers; empty fields match all.
type Filter struct {
	Status Status
	Tier   Tier
}
