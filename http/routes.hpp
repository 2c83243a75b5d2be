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
/// /admin/v1/sagas/{type}/{id}/{retry|compensate|skip}: operator actions (routes_admin_sagas.cpp).
void add_admin_saga_routes(route_table& t, face_context& fc);
/// /admin/v1: live report without activating, stuck, timers, top (routes_admin_views.cpp).
void add_admin_view_routes(route_table& t, face_context& fc);
/// /admin/v1: trace by correlation id, bulk dead-letter replay (routes_admin_bulk.cpp).
void add_admin_bulk_routes(route_table& t, face_context& fc);
/// /admin/v1/cluster: members, shard map, peer links (routes_cluster.cpp).
void add_admin_cluster_routes(route_table& t, face_context& fc);
/// /, /ui/: the read-only web view (routes_ui.cpp, files in ui/).
void add_ui_routes(route_table& t, face_context& fc);

}  // namespace sagaforge::http
