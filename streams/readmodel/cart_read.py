"""A whole cart's read in one Redis round trip: account, items, availability and the customer's prices.

One script call instead of three pipelines: the account is read inside Redis, which names the customer's price
scopes, so the HMGET of the cart's SKUs per scope needs no second trip. Which account field names which scope comes
from streams.readmodel.keys (ACCOUNT_SCOPE_FIELD), and the reader keeps only the scopes price_scopes_for would ask:
the rule stays in Python. The script reads keys it derives from prefixes (not passed as KEYS: the call packs one
argument per SKU instead of three): fine on a single Redis or a replica set, not on Redis Cluster.
"""
from __future__ import annotations

from collections.abc import Sequence

from streams.readmodel.keys import ACCOUNT_SCOPE_FIELD

# KEYS[1]: the account. ARGV[1]: n; ARGV[2..4]: the key prefixes of items, availability entries and price scopes;
# ARGV[5]: m; ARGV[6..m+5]: "RULE=account_field", strongest rule first; ARGV[m+6..m+n+5]: the SKUs (already checked
# against the SKU pattern by the caller's key builders). Reply: account, items, entries, then per scope found:
# "RULE:scope", its values.
CART_READ = """
local n = tonumber(ARGV[1])
local m = tonumber(ARGV[5])
local skus = {unpack(ARGV, m + 6, m + n + 5)}
local items, entries = {}, {}
for i, sku in ipairs(skus) do
  items[i] = ARGV[2] .. sku
  entries[i] = ARGV[3] .. sku
end
local account = redis.call('GET', KEYS[1])
local reply = {account, redis.call('MGET', unpack(items)), redis.call('MGET', unpack(entries))}
if account then
  local ok, record = pcall(cjson.decode, account)
  if ok and type(record) == 'table' then
    for i = 6, m + 5 do
      local rule, field = string.match(ARGV[i], '^([^=]+)=(.+)$')
      local scope = record[field]
      if type(scope) == 'string' then
        reply[#reply + 1] = rule .. ':' .. scope
        reply[#reply + 1] = redis.call('HMGET', ARGV[4] .. rule .. ':' .. scope, unpack(skus))
      end
    end
  end
end
return reply
"""

SCOPE_FIELDS = [f"{rule.value}={field}" for rule, field in ACCOUNT_SCOPE_FIELD.items()]


def cart_read_args(item_prefix: str, availability_prefix: str, prices_prefix: str,
                   skus: Sequence[str]) -> list[object]:
    return [len(skus), item_prefix, availability_prefix, prices_prefix, len(SCOPE_FIELDS), *SCOPE_FIELDS, *skus]
