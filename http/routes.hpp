// The route groups of the HTTP face, one file each; docs/http-api.md lists every endpoint.
#pragma once

#include "http/face_context.hpp"
#include "http/route_table.hpp"

namespace sagaforge::http {

/// /v1/orders, /v1/customers/{id}/orders, /v1/payments, /v1/shipments, /v1/sagas.
void add_order_routes(route_table& t, face_context& fc);
/// /v1/redemptions, /v1/customers/{id}/wallet.
void add_loyalty_routes(route_table& t, face_context& fc);
/// /v1/catalog.
void add_catalog_routes(route_table& t, face_context& fc);
/// /admin/v1: node, types, entities, one entity, its journal, watch.
void add_admin_read_routes(route_table& t, face_context& fc);
/// /admin/v1: sagas, dead letters, send, passivate.
void add_admin_ops_routes(route_table& t, face_context& fc);

}  // namespace sagaforge::http
