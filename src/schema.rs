//! diesel table definitions, kept in step with `migrations/`.

diesel::table! {
    accounts (id) {
        id -> Text,
        username -> Nullable<Text>,
        mobile -> Nullable<Text>,
        password_hash -> Text,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        password_changed_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    role_grants (id) {
        id -> Text,
        account_id -> Text,
        role -> Text,
        team_id -> Nullable<Text>,
        granted_by -> Nullable<Text>,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        revoked_by -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        account_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    volunteers (id) {
        id -> Text,
        account_id -> Text,
        volunteer_number -> Text,
        real_name -> Text,
        gender -> Text,
        birth_date -> Date,
        id_type -> Text,
        id_number_cipher -> Text,
        id_number_index -> Text,
        id_number_masked -> Text,
        email -> Nullable<Text>,
        political_status -> Text,
        education -> Nullable<Text>,
        skills -> Text,
        town -> Nullable<Text>,
        emergency_contact_name -> Nullable<Text>,
        emergency_contact_phone -> Nullable<Text>,
        guardian_name -> Nullable<Text>,
        guardian_mobile -> Nullable<Text>,
        guardian_consent_at -> Nullable<Timestamp>,
        privacy_notice_version -> Text,
        privacy_consent_at -> Timestamp,
        star_level -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    counters (name) {
        name -> Text,
        value -> BigInt,
    }
}

diesel::joinable!(role_grants -> accounts (account_id));
diesel::joinable!(refresh_tokens -> accounts (account_id));
diesel::joinable!(volunteers -> accounts (account_id));

diesel::table! {
    teams (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        parent_id -> Nullable<Text>,
        town -> Nullable<Text>,
        contact_name -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        description -> Nullable<Text>,
        member_count -> BigInt,
        certified_count -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    team_closure (ancestor_id, descendant_id) {
        ancestor_id -> Text,
        descendant_id -> Text,
        depth -> Integer,
    }
}

diesel::table! {
    memberships (id) {
        id -> Text,
        team_id -> Text,
        volunteer_id -> Text,
        status -> Text,
        joined_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    membership_events (id) {
        id -> Text,
        membership_id -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        actor_id -> Text,
        comment -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        actor_id -> Nullable<Text>,
        action -> Text,
        target_type -> Text,
        target_id -> Text,
        details -> Text,
        client_address -> Nullable<Text>,
        request_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(memberships -> teams (team_id));
diesel::joinable!(memberships -> volunteers (volunteer_id));
diesel::joinable!(membership_events -> memberships (membership_id));

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    role_grants,
    refresh_tokens,
    volunteers,
    counters,
    teams,
    team_closure,
    memberships,
    membership_events,
    audit_events,
);
