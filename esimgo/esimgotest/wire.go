package esimgotest

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/shopspring/decimal"
)

// num writes a decimal as a JSON number (eSIM Go sends 1.36, not "1.36")
// without touching shopspring's package-wide MarshalJSONWithoutQuotes.
type num decimal.Decimal

func (n num) MarshalJSON() ([]byte, error) { return []byte(decimal.Decimal(n).String()), nil }

const insufficientBalance = "Insufficient balance to complete this order"

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeMessage writes eSIM Go's error shape, {"message": "..."}.
func writeMessage(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"message": msg})
}

func itoa(n int) string { return strconv.Itoa(n) }

type wireCountry struct {
	Name   string `json:"name"`
	Region string `json:"region"`
	ISO    string `json:"iso"`
}

type wireAllowance struct {
	Type        string `json:"type"`
	Service     string `json:"service"`
	Description string `json:"description"`
	Amount      int64  `json:"amount"`
	Unit        string `json:"unit"`
	Unlimited   bool   `json:"unlimited"`
}

type wireBundle struct {
	Name           string          `json:"name"`
	Description    string          `json:"description"`
	Groups         []string        `json:"groups,omitempty"`
	Group          []string        `json:"group,omitempty"`
	Countries      []wireCountry   `json:"countries"`
	RoamingEnabled []wireCountry   `json:"roamingEnabled"`
	DataAmount     int64           `json:"dataAmount"`
	Duration       int             `json:"duration"`
	Speed          []string        `json:"speed"`
	Autostart      bool            `json:"autostart"`
	Unlimited      bool            `json:"unlimited"`
	ImageURL       string          `json:"imageUrl,omitempty"`
	Price          num             `json:"price"`
	BillingType    string          `json:"billingType"`
	Allowances     []wireAllowance `json:"allowances"`
}

type wireESIMCred struct {
	ICCID       string `json:"iccid"`
	MatchingID  string `json:"matchingId"`
	SMDPAddress string `json:"smdpAddress"`
}

type wireOrderLine struct {
	ESIMs         []wireESIMCred `json:"esims,omitempty"`
	Type          string         `json:"type"`
	Item          string         `json:"item"`
	ICCIDs        []string       `json:"iccids,omitempty"`
	Quantity      int            `json:"quantity"`
	SubTotal      num            `json:"subTotal"`
	PricePerUnit  num            `json:"pricePerUnit"`
	AllowReassign bool           `json:"allowReassign"`
}

type wireOrder struct {
	Order          []wireOrderLine `json:"order"`
	Total          num             `json:"total"`
	Currency       string          `json:"currency"`
	Status         string          `json:"status"`
	StatusMessage  string          `json:"statusMessage"`
	OrderReference string          `json:"orderReference"`
	CreatedDate    string          `json:"createdDate"`
	Assigned       bool            `json:"assigned"`
	SourceIP       string          `json:"sourceIP,omitempty"`
	RunningBalance string          `json:"runningBalance,omitempty"`
}

type wireValidate struct {
	Order       []wireOrderLine `json:"order"`
	Total       num             `json:"total"`
	Valid       bool            `json:"valid"`
	Currency    string          `json:"currency"`
	CreatedDate string          `json:"createdDate"`
	Assigned    bool            `json:"assigned"`
}

type wireOrderRequest struct {
	Type   string `json:"type"`
	Assign bool   `json:"assign"`
	Order  []struct {
		Type          string   `json:"type"`
		Quantity      int      `json:"quantity"`
		Item          string   `json:"item"`
		ICCIDs        []string `json:"iccids"`
		AllowReassign bool     `json:"allowReassign"`
	} `json:"order"`
	ProfileID string `json:"profileID"`
}
