package sdk

import "github.com/roosthq/roost/sdk/abi"

// These aliases let a connector import only this package.
type (
	// Field is one configuration field; see abi.Field.
	Field = abi.Field
	// Auth declares how the host puts secret fields into requests.
	Auth = abi.Auth
	// Account is a customer account inside the tool.
	Account = abi.Account
	// PageRequest asks for one page of accounts.
	PageRequest = abi.PageRequest
	// OrganizationPage is one page of accounts.
	OrganizationPage = abi.OrganizationPage
	// CheckResult says what a configuration check found.
	CheckResult = abi.CheckResult
	// Manifest is what a connector says about itself.
	Manifest = abi.Manifest
	// Category is the kind of tool.
	Category = abi.Category
	// Code classifies an Error.
	Code = abi.Code
	// Error is a structured error that crosses to the host.
	Error = abi.Error
)

const (
	CategoryPSA           = abi.CategoryPSA
	CategoryRMM           = abi.CategoryRMM
	CategoryDocumentation = abi.CategoryDocumentation
	CategorySecurity      = abi.CategorySecurity
	CategoryBackup        = abi.CategoryBackup
	CategoryDistribution  = abi.CategoryDistribution
	CategoryOther         = abi.CategoryOther

	TypeString  = abi.TypeString
	TypeInteger = abi.TypeInteger
	TypeNumber  = abi.TypeNumber
	TypeBoolean = abi.TypeBoolean
	TypeURL     = abi.TypeURL

	AuthBearer = abi.AuthBearer
	AuthBasic  = abi.AuthBasic
	AuthHeader = abi.AuthHeader
	AuthQuery  = abi.AuthQuery
	// AuthOAuth2ClientCredentials: the host fetches and refreshes an OAuth2
	// token (client-credentials grant) and sends it as a bearer token.
	AuthOAuth2ClientCredentials = abi.AuthOAuth2ClientCredentials

	CodeInvalidInput     = abi.CodeInvalidInput
	CodeNotFound         = abi.CodeNotFound
	CodeNotImplemented   = abi.CodeNotImplemented
	CodeUnauthenticated  = abi.CodeUnauthenticated
	CodePermissionDenied = abi.CodePermissionDenied
	CodeRateLimited      = abi.CodeRateLimited
	CodeUnavailable      = abi.CodeUnavailable
	CodeTimeout          = abi.CodeTimeout
	CodeTooLarge         = abi.CodeTooLarge
	CodeUpstream         = abi.CodeUpstream
	CodeInternal         = abi.CodeInternal
)

// CodeForStatus is the code of a tool's HTTP answer with this status, the
// one mapping the host and every bundled connector share; a connector adds
// its tool's own exceptions after it.
func CodeForStatus(status int) Code { return abi.CodeForStatus(status) }
