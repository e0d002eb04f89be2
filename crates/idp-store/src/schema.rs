//! Diesel table definitions, written to match `migrations/`.
#![allow(missing_docs)]

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        password_hash -> Text,
        email -> Nullable<Text>,
        email_verified -> Bool,
        name -> Nullable<Text>,
        created_at -> BigInt,
        profile -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    user_groups (name) {
        name -> Text,
        created_at -> BigInt,
        id -> Text,
    }
}

diesel::table! {
    group_members (group_name, user_id) {
        group_name -> Text,
        user_id -> Text,
    }
}

diesel::table! {
    clients (client_id) {
        client_id -> Text,
        name -> Text,
        client_type -> Text,
        secret_digest -> Nullable<Text>,
        redirect_uris -> Text,
        grant_types -> Text,
        scopes -> Text,
        first_party -> Bool,
        refresh_without_offline_access -> Bool,
        include_user_id -> Bool,
        created_at -> BigInt,
        default_scopes -> Text,
        options -> Text,
        secret_sealed -> Nullable<Binary>,
        updated_at -> BigInt,
    }
}

diesel::table! {
    consents (user_id, client_id) {
        user_id -> Text,
        client_id -> Text,
        scope -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    grants (id) {
        id -> Text,
        client_id -> Text,
        user_id -> Nullable<Text>,
        scope -> Text,
        auth_time -> BigInt,
        created_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
        sid -> Nullable<Text>,
        resources -> Text,
        act -> Nullable<Text>,
        parent_grant_id -> Nullable<Text>,
    }
}

diesel::table! {
    authorization_codes (code_digest) {
        code_digest -> Text,
        grant_id -> Text,
        redirect_uri -> Nullable<Text>,
        nonce -> Nullable<Text>,
        code_challenge -> Nullable<Text>,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    access_tokens (token_digest) {
        token_digest -> Text,
        grant_id -> Text,
        scope -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        revoked -> Bool,
        audience -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (token_digest) {
        token_digest -> Text,
        grant_id -> Text,
        scope -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
        revoked -> Bool,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        alg -> Text,
        private_key_pkcs8 -> Binary,
        created_at -> BigInt,
        activate_at -> BigInt,
        retired_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    browser_sessions (session_digest) {
        session_digest -> Text,
        user_id -> Nullable<Text>,
        auth_time -> Nullable<BigInt>,
        csrf_token -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        sid -> Text,
    }
}

diesel::table! {
    pending_authorizations (id) {
        id -> Text,
        client_id -> Text,
        request -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        browser_sid -> Text,
    }
}

diesel::table! {
    failure_counters (counter_key) {
        counter_key -> Text,
        failures -> BigInt,
        last_failure_at -> BigInt,
    }
}

diesel::table! {
    scopes (name) {
        name -> Text,
        description -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    settings (name) {
        name -> Text,
        value -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    client_registrations (client_id) {
        client_id -> Text,
        registered_at -> BigInt,
        expires_at -> Nullable<BigInt>,
        access_token_digest -> Text,
        application_type -> Text,
        token_endpoint_auth_method -> Text,
    }
}

diesel::table! {
    initial_access_tokens (id) {
        id -> Text,
        token_digest -> Text,
        created_at -> BigInt,
        expires_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    logout_deliveries (id) {
        id -> Text,
        client_id -> Text,
        uri -> Text,
        claims -> Text,
        attempts -> BigInt,
        next_attempt_at -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    declared_items (kind, name) {
        kind -> Text,
        name -> Text,
        applied_at -> BigInt,
    }
}

diesel::table! {
    client_metadata_documents (client_id) {
        client_id -> Text,
        fetched_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    device_authorizations (device_code_digest) {
        device_code_digest -> Text,
        user_code_digest -> Text,
        client_id -> Text,
        scope -> Text,
        status -> Text,
        user_id -> Nullable<Text>,
        auth_time -> Nullable<BigInt>,
        sid -> Nullable<Text>,
        created_at -> BigInt,
        expires_at -> BigInt,
        last_polled_at -> Nullable<BigInt>,
        interval_secs -> BigInt,
        redeemed_at -> Nullable<BigInt>,
        resources -> Text,
    }
}

diesel::joinable!(group_members -> users (user_id));
diesel::joinable!(group_members -> user_groups (group_name));
diesel::joinable!(authorization_codes -> grants (grant_id));
diesel::joinable!(access_tokens -> grants (grant_id));
diesel::joinable!(refresh_tokens -> grants (grant_id));
diesel::joinable!(grants -> users (user_id));
diesel::joinable!(client_registrations -> clients (client_id));
diesel::joinable!(logout_deliveries -> clients (client_id));
diesel::joinable!(client_metadata_documents -> clients (client_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    user_groups,
    group_members,
    clients,
    consents,
    grants,
    authorization_codes,
    access_tokens,
    refresh_tokens,
    signing_keys,
    browser_sessions,
    pending_authorizations,
    failure_counters,
    scopes,
    settings,
    client_registrations,
    initial_access_tokens,
    logout_deliveries,
    declared_items,
    client_metadata_documents,
    device_authorizations,
);
