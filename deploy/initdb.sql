-- One database per service: no service ever reads another's tables.
CREATE DATABASE spp_identity;
CREATE DATABASE spp_experiences;
CREATE DATABASE spp_moderation;
CREATE DATABASE spp_diagnostic;
CREATE DATABASE spp_notifier;
