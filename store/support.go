package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The support chat's ledger: the Telegram users the store has seen, the
// relay of messages between buyers and the staff group, which staff-group
// message is about which buyer, and staff refund requests.

// TelegramUser is a person as Telegram last described them to the store.
type TelegramUser struct {
	ID           int64     `json:"user_id"`
	FirstName    string    `json:"first_name"`
	LastName     string    `json:"last_name,omitempty"`
	Username     string    `json:"username,omitempty"`
	LanguageCode string    `json:"language_code,omitempty"`
	HelpOrderID  string    `json:"help_order_id,omitempty"`
	HelpOrderAt  time.Time `json:"help_order_at,omitzero"`
	UpdatedAt    time.Time `json:"updated_at"`
}

const userColumns = `user_id, first_name, last_name, username, language_code, coalesce(help_order_id, ''),
	coalesce(help_order_at, 'epoch'::timestamptz), updated_at`

func scanUser(row pgx.Row) (TelegramUser, error) {
	var u TelegramUser
	err := row.Scan(&u.ID, &u.FirstName, &u.LastName, &u.Username, &u.LanguageCode, &u.HelpOrderID, &u.HelpOrderAt, &u.UpdatedAt)
	if u.HelpOrderAt.Unix() == 0 {
		u.HelpOrderAt = time.Time{}
	}
	return u, err
}

// SaveTelegramUser records what Telegram says about a user now (names and
// username change); the attached help order is kept.
func (s *Store) SaveTelegramUser(ctx context.Context, u TelegramUser) error {
	_, err := s.Pool.Exec(ctx, `INSERT INTO telegram_users (user_id, first_name, last_name, username, language_code)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (user_id) DO UPDATE SET first_name = excluded.first_name, last_name = excluded.last_name,
			username = excluded.username, language_code = excluded.language_code, updated_at = now()
		WHERE (telegram_users.first_name, telegram_users.last_name, telegram_users.username, telegram_users.language_code)
			IS DISTINCT FROM (excluded.first_name, excluded.last_name, excluded.username, excluded.language_code)`,
		u.ID, u.FirstName, u.LastName, strings.TrimPrefix(u.Username, "@"), u.LanguageCode)
	if err != nil {
		return fmt.Errorf("save telegram user %d: %w", u.ID, err)
	}
	return nil
}

// GetTelegramUser returns a user the store has seen, or ErrNotFound.
func (s *Store) GetTelegramUser(ctx context.Context, id int64) (TelegramUser, error) {
	u, err := scanUser(s.Pool.QueryRow(ctx, `SELECT `+userColumns+` FROM telegram_users WHERE user_id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return TelegramUser{}, fmt.Errorf("telegram user %d: %w", id, ErrNotFound)
	}
	return u, err
}

// FindTelegramUsername finds a user by @username, ignoring case and the @.
func (s *Store) FindTelegramUsername(ctx context.Context, username string) (TelegramUser, error) {
	name := strings.TrimPrefix(strings.TrimSpace(username), "@")
	u, err := scanUser(s.Pool.QueryRow(ctx, `SELECT `+userColumns+` FROM telegram_users
		WHERE username <> '' AND lower(username) = lower($1) ORDER BY updated_at DESC LIMIT 1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return TelegramUser{}, fmt.Errorf("telegram user @%s: %w", name, ErrNotFound)
	}
	return u, err
}

// SetHelpOrder remembers the order a buyer asked help with; their next
// messages to support name it.
func (s *Store) SetHelpOrder(ctx context.Context, userID int64, orderID string, at time.Time) error {
	_, err := s.Pool.Exec(ctx, `INSERT INTO telegram_users (user_id, help_order_id, help_order_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET help_order_id = excluded.help_order_id, help_order_at = excluded.help_order_at`,
		userID, orderID, at)
	if err != nil {
		return fmt.Errorf("set help order of %d: %w", userID, err)
	}
	return nil
}

// FindOrdersByPrefix lists orders whose id starts with prefix, newest first.
func (s *Store) FindOrdersByPrefix(ctx context.Context, prefix string, limit int) ([]Order, error) {
	if limit <= 0 || limit > 100 {
		limit = 10
	}
	// LIKE metacharacters in the prefix are escaped: the prefix is typed by staff.
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(prefix))
	rows, err := s.Pool.Query(ctx, `SELECT `+orderColumns+` FROM orders WHERE id LIKE $1 || '%'
		ORDER BY created_at DESC, id LIMIT $2`, esc, limit)
	if err != nil {
		return nil, fmt.Errorf("find orders by prefix: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Order, error) { return scanOrder(r) })
}

// Relay directions.
const (
	ToSupport = "to_support" // a buyer's message, copied into the support chat
	ToBuyer   = "to_buyer"   // a staff reply, copied into the buyer's chat
)

// Relay statuses.
const (
	RelayPending = "pending"
	RelaySent    = "sent"
	RelayFailed  = "failed" // Telegram refused it for good (blocked bot, deleted message)
)

// SupportMessage is one relayed message.
type SupportMessage struct {
	ID              int64     `json:"id"`
	Direction       string    `json:"direction"`
	BuyerID         int64     `json:"buyer_id"`
	FromChatID      int64     `json:"from_chat_id"`
	FromMessageID   int64     `json:"from_message_id"`
	FromUserID      int64     `json:"from_user_id"`
	FromName        string    `json:"from_name"`
	OrderID         string    `json:"order_id,omitempty"`
	Status          string    `json:"status"`
	HeaderMessageID int64     `json:"header_message_id,omitempty"`
	CopyMessageID   int64     `json:"copy_message_id,omitempty"`
	Attempts        int       `json:"attempts"`
	LastError       string    `json:"last_error,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
}

const supportMessageColumns = `id, direction, buyer_id, from_chat_id, from_message_id, from_user_id, from_name,
	coalesce(order_id, ''), status, coalesce(header_message_id, 0), coalesce(copy_message_id, 0), attempts,
	coalesce(last_error, ''), created_at`

func scanSupportMessage(row pgx.Row) (SupportMessage, error) {
	var m SupportMessage
	err := row.Scan(&m.ID, &m.Direction, &m.BuyerID, &m.FromChatID, &m.FromMessageID, &m.FromUserID, &m.FromName,
		&m.OrderID, &m.Status, &m.HeaderMessageID, &m.CopyMessageID, &m.Attempts, &m.LastError, &m.CreatedAt)
	return m, err
}

// QueueSupportMessage puts a message in the relay's inbox. The source
// message is the key: queueing it again (a re-delivered update) is a no-op,
// reported as false.
func (s *Store) QueueSupportMessage(ctx context.Context, m SupportMessage) (bool, error) {
	var order any
	if m.OrderID != "" {
		order = m.OrderID
	}
	tag, err := s.Pool.Exec(ctx, `INSERT INTO support_messages (direction, buyer_id, from_chat_id, from_message_id,
			from_user_id, from_name, order_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (from_chat_id, from_message_id) DO NOTHING`,
		m.Direction, m.BuyerID, m.FromChatID, m.FromMessageID, m.FromUserID, m.FromName, order)
	if err != nil {
		return false, fmt.Errorf("queue %s message %d/%d: %w", m.Direction, m.FromChatID, m.FromMessageID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// PendingSupportMessages returns a buyer's messages still to send, each
// direction in the order they were written (message ids grow within a chat).
func (s *Store) PendingSupportMessages(ctx context.Context, buyerID int64, limit int) ([]SupportMessage, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+supportMessageColumns+` FROM support_messages
		WHERE buyer_id = $1 AND status = 'pending' ORDER BY direction, from_message_id LIMIT $2`, buyerID, limit)
	if err != nil {
		return nil, fmt.Errorf("pending support messages of %d: %w", buyerID, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (SupportMessage, error) { return scanSupportMessage(r) })
}

// SupportMessages lists a buyer's relayed messages, oldest first.
func (s *Store) SupportMessages(ctx context.Context, buyerID int64) ([]SupportMessage, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+supportMessageColumns+` FROM support_messages
		WHERE buyer_id = $1 ORDER BY id`, buyerID)
	if err != nil {
		return nil, fmt.Errorf("support messages of %d: %w", buyerID, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (SupportMessage, error) { return scanSupportMessage(r) })
}

// LastSupportMessageAt is when the buyer last wrote to support (zero: never).
func (s *Store) LastSupportMessageAt(ctx context.Context, buyerID int64) (time.Time, error) {
	var last *time.Time
	err := s.Pool.QueryRow(ctx, `SELECT max(created_at) FROM support_messages
		WHERE buyer_id = $1 AND direction = 'to_support'`, buyerID).Scan(&last)
	if err != nil {
		return time.Time{}, fmt.Errorf("last support message of %d: %w", buyerID, err)
	}
	if last == nil {
		return time.Time{}, nil
	}
	return *last, nil
}

// SetSupportHeader records the header posted before a buyer's message, so a
// retry posts only the copy; the header already maps to the buyer.
func (s *Store) SetSupportHeader(ctx context.Context, m SupportMessage, chatID, headerID int64) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE support_messages SET header_message_id = $2 WHERE id = $1`, m.ID, headerID); err != nil {
			return err
		}
		return addThread(ctx, tx, chatID, headerID, m.BuyerID, m.OrderID)
	})
}

// MarkSupportMessageSent closes a relayed message with its copy's id; a
// copy in the support chat then maps to the buyer too.
func (s *Store) MarkSupportMessageSent(ctx context.Context, m SupportMessage, toChat, copyID int64) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE support_messages SET status = 'sent', copy_message_id = $2, sent_at = now()
			WHERE id = $1`, m.ID, copyID); err != nil {
			return err
		}
		if m.Direction != ToSupport {
			return nil
		}
		return addThread(ctx, tx, toChat, copyID, m.BuyerID, m.OrderID)
	})
}

// MarkSupportMessageFailed closes a message Telegram will never take.
func (s *Store) MarkSupportMessageFailed(ctx context.Context, id int64, reason string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE support_messages SET status = 'failed', last_error = $2, attempts = attempts + 1
		WHERE id = $1`, id, reason)
	if err != nil {
		return fmt.Errorf("mark support message %d failed: %w", id, err)
	}
	return nil
}

// NoteSupportAttempt counts a failed try that will be retried.
func (s *Store) NoteSupportAttempt(ctx context.Context, id int64, reason string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE support_messages SET attempts = attempts + 1, last_error = $2 WHERE id = $1`, id, reason)
	if err != nil {
		return fmt.Errorf("note attempt of support message %d: %w", id, err)
	}
	return nil
}

// AddSupportThread says that a bot message in the support chat is about a
// buyer (and an order), so staff can answer by replying to it.
func (s *Store) AddSupportThread(ctx context.Context, chatID, messageID, buyerID int64, orderID string) error {
	return s.tx(ctx, func(tx pgx.Tx) error { return addThread(ctx, tx, chatID, messageID, buyerID, orderID) })
}

func addThread(ctx context.Context, tx pgx.Tx, chatID, messageID, buyerID int64, orderID string) error {
	var order any
	if orderID != "" {
		order = orderID
	}
	_, err := tx.Exec(ctx, `INSERT INTO support_threads (chat_id, message_id, buyer_id, order_id) VALUES ($1, $2, $3, $4)
		ON CONFLICT (chat_id, message_id) DO NOTHING`, chatID, messageID, buyerID, order)
	return err
}

// SupportThread returns the buyer (and order) a support-chat message is
// about, or ErrNotFound for messages that are not the bot's relays.
func (s *Store) SupportThread(ctx context.Context, chatID, messageID int64) (buyerID int64, orderID string, err error) {
	err = s.Pool.QueryRow(ctx, `SELECT buyer_id, coalesce(order_id, '') FROM support_threads
		WHERE chat_id = $1 AND message_id = $2`, chatID, messageID).Scan(&buyerID, &orderID)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", ErrNotFound
	}
	if err != nil {
		return 0, "", fmt.Errorf("support thread of %d/%d: %w", chatID, messageID, err)
	}
	return buyerID, orderID, nil
}

// Staff refund request statuses.
const (
	RefundProposed   = "proposed"
	RefundConfirming = "confirming"
	RefundAccepted   = "accepted"
	RefundRefused    = "refused"
)

// SupportRefundRequest is a /refund waiting for (or past) its confirm button.
type SupportRefundRequest struct {
	ID            int64
	OrderID       string
	Reason        string
	RequestedBy   string
	RequestedByID int64
	ChatID        int64
	MessageID     int64
	Status        string
	ConfirmedBy   string
	Outcome       string
	CreatedAt     time.Time
}

const refundRequestColumns = `id, order_id, reason, requested_by, requested_by_id, chat_id, coalesce(message_id, 0),
	status, coalesce(confirmed_by, ''), coalesce(outcome, ''), created_at`

func scanRefundRequest(row pgx.Row) (SupportRefundRequest, error) {
	var r SupportRefundRequest
	err := row.Scan(&r.ID, &r.OrderID, &r.Reason, &r.RequestedBy, &r.RequestedByID, &r.ChatID, &r.MessageID,
		&r.Status, &r.ConfirmedBy, &r.Outcome, &r.CreatedAt)
	return r, err
}

// ProposeSupportRefund records a staff member's /refund before the confirm
// button is shown; the button carries the returned id.
func (s *Store) ProposeSupportRefund(ctx context.Context, r SupportRefundRequest) (int64, error) {
	var id int64
	err := s.Pool.QueryRow(ctx, `INSERT INTO support_refund_requests (order_id, reason, requested_by, requested_by_id, chat_id)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, r.OrderID, r.Reason, r.RequestedBy, r.RequestedByID, r.ChatID).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("propose refund of %s: %w", r.OrderID, err)
	}
	return id, nil
}

// SetSupportRefundMessage records the message that carries the button.
func (s *Store) SetSupportRefundMessage(ctx context.Context, id, messageID int64) error {
	_, err := s.Pool.Exec(ctx, `UPDATE support_refund_requests SET message_id = $2 WHERE id = $1`, id, messageID)
	if err != nil {
		return fmt.Errorf("set message of refund request %d: %w", id, err)
	}
	return nil
}

// ClaimSupportRefund moves a proposed request to confirming for the staff
// member who pressed the button. Only one press wins: claimed is false when
// the request had already been pressed or decided (the row says how).
func (s *Store) ClaimSupportRefund(ctx context.Context, id int64, by string) (r SupportRefundRequest, claimed bool, err error) {
	r, err = scanRefundRequest(s.Pool.QueryRow(ctx, `UPDATE support_refund_requests SET status = 'confirming', confirmed_by = $2
		WHERE id = $1 AND status = 'proposed' RETURNING `+refundRequestColumns, id, by))
	if err == nil {
		return r, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return r, false, fmt.Errorf("claim refund request %d: %w", id, err)
	}
	r, err = scanRefundRequest(s.Pool.QueryRow(ctx, `SELECT `+refundRequestColumns+` FROM support_refund_requests
		WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, false, fmt.Errorf("refund request %d: %w", id, ErrNotFound)
	}
	return r, false, err
}

// ReleaseSupportRefund puts a claimed request back to proposed after the
// refund could not be asked for (Temporal busy), so a retry may claim it.
func (s *Store) ReleaseSupportRefund(ctx context.Context, id int64) error {
	_, err := s.Pool.Exec(ctx, `UPDATE support_refund_requests SET status = 'proposed', confirmed_by = NULL
		WHERE id = $1 AND status = 'confirming'`, id)
	if err != nil {
		return fmt.Errorf("release refund request %d: %w", id, err)
	}
	return nil
}

// DecideSupportRefund records what the workflow said: accepted or refused
// (with the reason shown to staff).
func (s *Store) DecideSupportRefund(ctx context.Context, id int64, status, outcome string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE support_refund_requests SET status = $2, outcome = $3, decided_at = now()
		WHERE id = $1`, id, status, outcome)
	if err != nil {
		return fmt.Errorf("decide refund request %d: %w", id, err)
	}
	return nil
}

// AcceptedSupportRefund returns the latest accepted staff request for an
// order, so Telegram's confirmation can answer under it; ErrNotFound when
// the refund was asked for elsewhere (admin API, CLI, Temporal UI).
func (s *Store) AcceptedSupportRefund(ctx context.Context, orderID string) (SupportRefundRequest, error) {
	r, err := scanRefundRequest(s.Pool.QueryRow(ctx, `SELECT `+refundRequestColumns+` FROM support_refund_requests
		WHERE order_id = $1 AND status = 'accepted' ORDER BY id DESC LIMIT 1`, orderID))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, ErrNotFound
	}
	return r, err
}

func (s *Store) tx(ctx context.Context, f func(pgx.Tx) error) error {
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit; a rollback that fails closes the connection, which ends the transaction
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
