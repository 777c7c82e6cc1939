DROP TABLE wechat_bind_tickets;
DROP TABLE wechat_identities;
