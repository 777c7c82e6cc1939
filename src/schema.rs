// @generated automatically by Diesel CLI.

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
        version -> Int8,
        session_epoch -> Int8,
    }
}

diesel::table! {
    activities (id) {
        id -> Text,
        team_id -> Text,
        campaign_id -> Nullable<Text>,
        title -> Text,
        summary -> Nullable<Text>,
        description -> Nullable<Text>,
        category -> Text,
        service_targets -> Text,
        online -> Bool,
        town -> Nullable<Text>,
        address -> Nullable<Text>,
        latitude -> Nullable<Float8>,
        longitude -> Nullable<Float8>,
        checkin_radius_m -> Nullable<Int4>,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        signup_deadline -> Timestamp,
        capacity -> Int4,
        min_age -> Nullable<Int4>,
        required_skills -> Text,
        requires_approval -> Bool,
        risky -> Bool,
        insurance_policy -> Nullable<Text>,
        safety_measures -> Nullable<Text>,
        contact_name -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        status -> Text,
        confirmed_count -> Int4,
        waitlist_count -> Int4,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Int8,
    }
}

diesel::table! {
    api_clients (id) {
        id -> Text,
        client_id -> Text,
        secret_hash -> Text,
        name -> Text,
        scopes -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_chain_heads (segment) {
        segment -> Int4,
        seq -> Int8,
        hash -> Text,
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
        chain_segment -> Nullable<Int4>,
        chain_seq -> Nullable<Int8>,
        chain_hash -> Nullable<Text>,
    }
}

diesel::table! {
    campaign_minutes (campaign_id, team_id, category, town) {
        campaign_id -> Text,
        team_id -> Text,
        category -> Text,
        town -> Text,
        minutes -> Int8,
    }
}

diesel::table! {
    campaign_report_comments (id) {
        id -> Text,
        report_id -> Text,
        comment -> Text,
        author_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    campaign_reports (id) {
        id -> Text,
        campaign_id -> Text,
        team_id -> Text,
        summary -> Text,
        highlights -> Nullable<Text>,
        photos -> Text,
        late -> Bool,
        filed_at -> Timestamp,
        filed_by -> Text,
        updated_at -> Timestamp,
        version -> Int8,
    }
}

diesel::table! {
    campaigns (id) {
        id -> Text,
        theme -> Text,
        description -> Nullable<Text>,
        starts_on -> Date,
        ends_on -> Date,
        categories -> Text,
        report_due -> Nullable<Date>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Int8,
        applications_open_at -> Nullable<Timestamp>,
        applications_close_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    certificates (id) {
        id -> Text,
        number -> Text,
        team_id -> Text,
        volunteer_id -> Text,
        status -> Text,
        holder_name_masked -> Text,
        team_name -> Text,
        credential -> Text,
        key_id -> Text,
        issued_by -> Text,
        issued_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        revoked_by -> Nullable<Text>,
        revocation_reason -> Nullable<Text>,
    }
}

diesel::table! {
    change_counters (feed) {
        feed -> Text,
        last_seq -> Int8,
    }
}

diesel::table! {
    changes (feed, item_id) {
        feed -> Text,
        item_id -> Text,
        seq -> Int8,
    }
}

diesel::table! {
    commendations (id) {
        id -> Text,
        subject_type -> Text,
        subject_id -> Text,
        subject_name -> Text,
        title -> Text,
        level -> Text,
        awarded_on -> Date,
        reason -> Text,
        status -> Text,
        recorded_by -> Text,
        recorded_at -> Timestamp,
        withdrawn_at -> Nullable<Timestamp>,
        withdrawn_by -> Nullable<Text>,
        withdrawal_reason -> Nullable<Text>,
    }
}

diesel::table! {
    correction_request_counts (team_id, status) {
        team_id -> Text,
        status -> Text,
        requests -> Int8,
    }
}

diesel::table! {
    correction_requests (id) {
        id -> Text,
        record_id -> Text,
        volunteer_id -> Text,
        team_id -> Text,
        reason -> Text,
        minutes -> Nullable<Int4>,
        status -> Text,
        correction_id -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        decision_comment -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    counters (name) {
        name -> Text,
        value -> Int8,
    }
}

diesel::table! {
    file_links (file_id, subject_type, subject_id) {
        file_id -> Text,
        subject_type -> Text,
        subject_id -> Text,
        team_id -> Text,
        public -> Bool,
    }
}

diesel::table! {
    files (id) {
        id -> Text,
        sha256 -> Text,
        content_type -> Text,
        size -> Int8,
        file_name -> Text,
        uploaded_by -> Text,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (caller, route, idempotency_key) {
        caller -> Text,
        route -> Text,
        idempotency_key -> Text,
        fingerprint -> Text,
        status -> Nullable<Int4>,
        headers -> Nullable<Text>,
        body -> Nullable<Text>,
        created_at -> Timestamp,
        completed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    last_service (ancestor_id, volunteer_id) {
        ancestor_id -> Text,
        volunteer_id -> Text,
        service_date -> Date,
    }
}

diesel::table! {
    last_service_counts (ancestor_id, service_date) {
        ancestor_id -> Text,
        service_date -> Date,
        volunteers -> Int8,
    }
}

diesel::table! {
    list_generations (name) {
        name -> Text,
        generation -> Int8,
    }
}

diesel::table! {
    membership_counts (team_id, status) {
        team_id -> Text,
        status -> Text,
        members -> Int8,
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
    memberships (id) {
        id -> Text,
        team_id -> Text,
        volunteer_id -> Text,
        status -> Text,
        joined_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Int8,
        certified -> Bool,
    }
}

diesel::table! {
    participant_counts (facet, campaign_id, team_id, facet_key) {
        facet -> Text,
        campaign_id -> Text,
        team_id -> Text,
        facet_key -> Text,
        volunteers -> Int8,
    }
}

diesel::table! {
    participants (facet, campaign_id, team_id, facet_key, volunteer_id) {
        facet -> Text,
        campaign_id -> Text,
        team_id -> Text,
        facet_key -> Text,
        volunteer_id -> Text,
    }
}

diesel::table! {
    posts (id) {
        id -> Text,
        kind -> Text,
        team_id -> Text,
        activity_id -> Nullable<Text>,
        campaign_id -> Nullable<Text>,
        volunteer_id -> Nullable<Text>,
        author_id -> Text,
        author_name -> Text,
        title -> Nullable<Text>,
        content -> Text,
        images -> Text,
        status -> Text,
        hidden_reason -> Nullable<Text>,
        hidden_by -> Nullable<Text>,
        hidden_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    project_application_transitions (id) {
        id -> Text,
        application_id -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        actor_id -> Text,
        at -> Timestamp,
        comment -> Nullable<Text>,
    }
}

diesel::table! {
    project_applications (id) {
        id -> Text,
        team_id -> Text,
        campaign_id -> Nullable<Text>,
        name -> Text,
        category -> Text,
        summary -> Text,
        goals -> Text,
        beneficiaries -> Text,
        starts_on -> Date,
        ends_on -> Date,
        budget_fen -> Nullable<Int8>,
        member_count -> Int4,
        activity_ids -> Text,
        attachments -> Text,
        status -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        version -> Int8,
    }
}

diesel::table! {
    rate_limit_events (id) {
        id -> Text,
        bucket -> Text,
        subject -> Text,
        at -> Timestamp,
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
        session_epoch -> Int8,
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
    service_proofs (id) {
        id -> Text,
        number -> Text,
        team_id -> Text,
        volunteer_id -> Text,
        period_from -> Date,
        period_to -> Date,
        record_count -> Int4,
        total_minutes -> Int8,
        holder_name_masked -> Text,
        team_name -> Text,
        credential -> Text,
        key_id -> Text,
        issued_by -> Text,
        issued_at -> Timestamp,
    }
}

diesel::table! {
    service_records (id) {
        id -> Text,
        volunteer_id -> Text,
        team_id -> Text,
        activity_id -> Nullable<Text>,
        service_date -> Date,
        minutes -> Int4,
        content -> Text,
        place -> Nullable<Text>,
        source -> Text,
        status -> Text,
        corrects_id -> Nullable<Text>,
        reason -> Nullable<Text>,
        superseded_by -> Nullable<Text>,
        rounding_policy -> Text,
        created_by -> Text,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        decision_comment -> Nullable<Text>,
        created_at -> Timestamp,
        category -> Text,
        town -> Nullable<Text>,
        campaign_id -> Nullable<Text>,
    }
}

diesel::table! {
    signing_keys (key_id) {
        key_id -> Text,
        public_key_multibase -> Text,
        created_at -> Timestamp,
        withdrawn_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    signups (id) {
        id -> Text,
        activity_id -> Text,
        volunteer_id -> Text,
        status -> Text,
        position -> Nullable<Int4>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        checked_in_at -> Nullable<Timestamp>,
        checked_out_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    subtree_day_minutes (ancestor_id, service_date, category, town) {
        ancestor_id -> Text,
        service_date -> Date,
        category -> Text,
        town -> Text,
        minutes -> Int8,
    }
}

diesel::table! {
    subtree_member_counts (ancestor_id) {
        ancestor_id -> Text,
        volunteers -> Int8,
    }
}

diesel::table! {
    subtree_members (ancestor_id, volunteer_id) {
        ancestor_id -> Text,
        volunteer_id -> Text,
        memberships -> Int8,
    }
}

diesel::table! {
    subtree_month_minutes (ancestor_id, month, category, town) {
        ancestor_id -> Text,
        month -> Text,
        category -> Text,
        town -> Text,
        minutes -> Int8,
    }
}

diesel::table! {
    subtree_record_counts (ancestor_id, status) {
        ancestor_id -> Text,
        status -> Text,
        records -> Int8,
    }
}

diesel::table! {
    team_closure (ancestor_id, descendant_id) {
        ancestor_id -> Text,
        descendant_id -> Text,
        depth -> Int4,
    }
}

diesel::table! {
    team_year_hours (team_id, year) {
        team_id -> Text,
        year -> Int4,
        minutes -> Int8,
    }
}

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
        member_count -> Int8,
        certified_count -> Int8,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Int8,
    }
}

diesel::table! {
    trainings (id) {
        id -> Text,
        volunteer_id -> Text,
        team_id -> Text,
        activity_id -> Nullable<Text>,
        title -> Text,
        training_date -> Date,
        minutes -> Int4,
        source -> Text,
        recorded_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    volunteer_year_hours (volunteer_id, year) {
        volunteer_id -> Text,
        year -> Int4,
        minutes -> Int8,
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
        star_level -> Int4,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Int8,
        total_minutes -> Int8,
        star_certified_by -> Nullable<Text>,
        star_certified_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        subscription_id -> Text,
        event_id -> Text,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Nullable<Timestamp>,
        last_attempt_at -> Nullable<Timestamp>,
        last_status_code -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        last_latency_ms -> Nullable<Int4>,
        delivered_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_events (id) {
        id -> Text,
        event_type -> Text,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_subscriptions (id) {
        id -> Text,
        url -> Text,
        events -> Text,
        description -> Nullable<Text>,
        secret_cipher -> Text,
        previous_secret_cipher -> Nullable<Text>,
        previous_secret_until -> Nullable<Timestamp>,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Int8,
    }
}

diesel::table! {
    wechat_bind_tickets (ticket_hash) {
        ticket_hash -> Text,
        openid -> Text,
        unionid -> Nullable<Text>,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    wechat_identities (openid) {
        openid -> Text,
        account_id -> Text,
        unionid -> Nullable<Text>,
        bound_at -> Timestamp,
    }
}

diesel::joinable!(activities -> campaigns (campaign_id));
diesel::joinable!(activities -> teams (team_id));
diesel::joinable!(api_clients -> accounts (created_by));
diesel::joinable!(campaign_minutes -> campaigns (campaign_id));
diesel::joinable!(campaign_minutes -> teams (team_id));
diesel::joinable!(campaign_report_comments -> accounts (author_id));
diesel::joinable!(campaign_report_comments -> campaign_reports (report_id));
diesel::joinable!(campaign_reports -> accounts (filed_by));
diesel::joinable!(campaign_reports -> campaigns (campaign_id));
diesel::joinable!(campaign_reports -> teams (team_id));
diesel::joinable!(campaigns -> accounts (created_by));
diesel::joinable!(certificates -> signing_keys (key_id));
diesel::joinable!(certificates -> teams (team_id));
diesel::joinable!(certificates -> volunteers (volunteer_id));
diesel::joinable!(correction_request_counts -> teams (team_id));
diesel::joinable!(correction_requests -> accounts (decided_by));
diesel::joinable!(correction_requests -> teams (team_id));
diesel::joinable!(correction_requests -> volunteers (volunteer_id));
diesel::joinable!(file_links -> files (file_id));
diesel::joinable!(file_links -> teams (team_id));
diesel::joinable!(files -> accounts (uploaded_by));
diesel::joinable!(last_service -> teams (ancestor_id));
diesel::joinable!(last_service -> volunteers (volunteer_id));
diesel::joinable!(last_service_counts -> teams (ancestor_id));
diesel::joinable!(membership_counts -> teams (team_id));
diesel::joinable!(membership_events -> accounts (actor_id));
diesel::joinable!(membership_events -> memberships (membership_id));
diesel::joinable!(memberships -> teams (team_id));
diesel::joinable!(memberships -> volunteers (volunteer_id));
diesel::joinable!(participant_counts -> teams (team_id));
diesel::joinable!(participants -> teams (team_id));
diesel::joinable!(participants -> volunteers (volunteer_id));
diesel::joinable!(posts -> activities (activity_id));
diesel::joinable!(posts -> campaigns (campaign_id));
diesel::joinable!(posts -> teams (team_id));
diesel::joinable!(posts -> volunteers (volunteer_id));
diesel::joinable!(project_application_transitions -> accounts (actor_id));
diesel::joinable!(project_application_transitions -> project_applications (application_id));
diesel::joinable!(project_applications -> accounts (created_by));
diesel::joinable!(project_applications -> campaigns (campaign_id));
diesel::joinable!(project_applications -> teams (team_id));
diesel::joinable!(refresh_tokens -> accounts (account_id));
diesel::joinable!(service_proofs -> accounts (issued_by));
diesel::joinable!(service_proofs -> signing_keys (key_id));
diesel::joinable!(service_proofs -> teams (team_id));
diesel::joinable!(service_proofs -> volunteers (volunteer_id));
diesel::joinable!(service_records -> teams (team_id));
diesel::joinable!(service_records -> volunteers (volunteer_id));
diesel::joinable!(signups -> activities (activity_id));
diesel::joinable!(signups -> volunteers (volunteer_id));
diesel::joinable!(subtree_day_minutes -> teams (ancestor_id));
diesel::joinable!(subtree_member_counts -> teams (ancestor_id));
diesel::joinable!(subtree_members -> teams (ancestor_id));
diesel::joinable!(subtree_members -> volunteers (volunteer_id));
diesel::joinable!(subtree_month_minutes -> teams (ancestor_id));
diesel::joinable!(subtree_record_counts -> teams (ancestor_id));
diesel::joinable!(team_year_hours -> teams (team_id));
diesel::joinable!(trainings -> accounts (recorded_by));
diesel::joinable!(trainings -> activities (activity_id));
diesel::joinable!(trainings -> teams (team_id));
diesel::joinable!(trainings -> volunteers (volunteer_id));
diesel::joinable!(volunteer_year_hours -> volunteers (volunteer_id));
diesel::joinable!(volunteers -> accounts (account_id));
diesel::joinable!(webhook_deliveries -> webhook_events (event_id));
diesel::joinable!(webhook_deliveries -> webhook_subscriptions (subscription_id));
diesel::joinable!(webhook_subscriptions -> accounts (created_by));
diesel::joinable!(wechat_identities -> accounts (account_id));

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    activities,
    api_clients,
    audit_chain_heads,
    audit_events,
    campaign_minutes,
    campaign_report_comments,
    campaign_reports,
    campaigns,
    certificates,
    change_counters,
    changes,
    commendations,
    correction_request_counts,
    correction_requests,
    counters,
    file_links,
    files,
    idempotency_keys,
    last_service,
    last_service_counts,
    list_generations,
    membership_counts,
    membership_events,
    memberships,
    participant_counts,
    participants,
    posts,
    project_application_transitions,
    project_applications,
    rate_limit_events,
    refresh_tokens,
    role_grants,
    service_proofs,
    service_records,
    signing_keys,
    signups,
    subtree_day_minutes,
    subtree_member_counts,
    subtree_members,
    subtree_month_minutes,
    subtree_record_counts,
    team_closure,
    team_year_hours,
    teams,
    trainings,
    volunteer_year_hours,
    volunteers,
    webhook_deliveries,
    webhook_events,
    webhook_subscriptions,
    wechat_bind_tickets,
    wechat_identities,
);
