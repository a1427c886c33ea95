package store

import "context"

// Detail is everything the ledger knows about one order.
type Detail struct {
	Order    Order       `json:"order"`
	Payments []Payment   `json:"payments"`
	ESIMs    []ESIMOrder `json:"esim_orders"`
	Refunds  []RefundRow `json:"refunds"`
}

// OrderDetail gathers an order with its payments, eSIMs and refunds.
func (s *Store) OrderDetail(ctx context.Context, id string) (Detail, error) {
	o, err := s.GetOrder(ctx, id)
	if err != nil {
		return Detail{}, err
	}
	d := Detail{Order: o}
	if d.Payments, err = s.PaymentsForOrder(ctx, id); err != nil {
		return Detail{}, err
	}
	if d.ESIMs, err = s.ESIMOrdersForOrder(ctx, id); err != nil {
		return Detail{}, err
	}
	if d.Refunds, err = s.RefundsForOrder(ctx, id); err != nil {
		return Detail{}, err
	}
	return d, nil
}

// InstalledESIM is the eSIM with install details, if one was bought.
func (d Detail) InstalledESIM() (ESIMOrder, bool) {
	for _, e := range d.ESIMs {
		if e.MatchingID != "" && e.SMDPAddress != "" {
			return e, true
		}
	}
	return ESIMOrder{}, false
}
