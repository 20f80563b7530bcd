"""LTI 1.3 state kept in the store so that every gateway node agrees: the tools the gateway
launches as a platform (each bound to an app, so the app's agreement governs it), the LMSs it
will answer as a tool, the contexts a tool has been launched into, pending launches, values
that may be used only once (id_token nonces, client-assertion jtis) and the secrets behind
pseudonyms and signed hints."""

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.model.base import Base


class LtiTool(Base):
    """A learning tool registered with the gateway as its LTI platform."""

    __tablename__ = "lti_tools"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    deployment_id: Mapped[str] = mapped_column(String(255))
    login_url: Mapped[str] = mapped_column(Text)
    redirect_uris: Mapped[list] = mapped_column(JSON)
    target_link_uri: Mapped[str] = mapped_column(Text)
    jwks_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    public_jwk: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    custom: Mapped[dict] = mapped_column(JSON)
    scopes: Mapped[list] = mapped_column(JSON)
    # identity claims district IT chose to send ("name", "email", "lis"); the app's
    # agreement must grant each as well
    share: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LtiPlatform(Base):
    """An LMS (issuer + the client id it gave the gateway) the gateway is a tool for."""

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id",
                                       name="uq_lti_platforms_issuer_client"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    deployment_ids: Mapped[list] = mapped_column(JSON)
    auth_url: Mapped[str] = mapped_column(Text)
    token_url: Mapped[str] = mapped_column(Text)
    jwks_url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # origins that may frame the gateway's pages of this LMS's launches (null: the issuer's)
    frame_ancestors: Mapped[list | None] = mapped_column(JSON, nullable=True)


class LtiContext(Base):
    """A class as one tool knows it: the tool sees only `context_id` (a per-tool pseudonym),
    the NRPS URL carries it, and this row maps it back to the class."""

    __tablename__ = "lti_contexts"

    tool_id: Mapped[int] = mapped_column(ForeignKey("lti_tools.id", ondelete="CASCADE"),
                                         primary_key=True)
    context_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    class_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LtiLaunch(Base):
    """A launch the gateway started (login initiation sent) and the tool has yet to complete
    at /lti/authorize: the signed login_hint and lti_message_hint name it; used once."""

    __tablename__ = "lti_launches"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("lti_tools.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(255))
    class_id: Mapped[str] = mapped_column(String(255))
    link: Mapped[str] = mapped_column(String(255))
    target_link_uri: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    message_type: Mapped[str] = mapped_column(String(32),
                                              server_default="LtiResourceLinkRequest")
    # a launch relayed from an LMS's deep-linking request: where to answer the LMS (its
    # registration, deployment, return URL and data), so the tool's answer can be passed on
    relay: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class LtiDeepLink(Base):
    """A resource link a tool created by deep linking, in a class: the tool's link id is
    derived from `name` as for every link; its launches carry the title, URL and custom
    parameters the tool chose, and the line item it asked for."""

    __tablename__ = "lti_deep_links"

    tool_id: Mapped[int] = mapped_column(ForeignKey("lti_tools.id", ondelete="CASCADE"),
                                         primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    class_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(Text)
    custom: Mapped[dict] = mapped_column(JSON)
    line_item_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LtiUsedValue(Base):
    """A value that may be used once (an id_token nonce, a client assertion's jti), per
    `scope` (which tool, which kind); kept until `expires_at`, after which the token carrying
    it is refused for its age anyway."""

    __tablename__ = "lti_used_values"
    __table_args__ = (Index("ix_lti_used_values_expires", "expires_at"),)

    scope: Mapped[str] = mapped_column(String(300), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LtiSecret(Base):
    """Random secrets the LTI broker keys HMACs with (pairwise pseudonyms, signed hints);
    created on first use, never shown."""

    __tablename__ = "lti_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LtiLink(Base):
    """A resource link a tool has been launched from: the tool sees `link_id` (a per-tool
    pseudonym); AGS line items may name it."""

    __tablename__ = "lti_links"

    tool_id: Mapped[int] = mapped_column(ForeignKey("lti_tools.id", ondelete="CASCADE"),
                                         primary_key=True)
    link_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    context_id: Mapped[str] = mapped_column(String(64))


class LtiLineItem(Base):
    """An AGS line item: the canonical gradebook line item (`line_item_id`, written through
    the sync engine as the tool's app source) plus what AGS keeps that the canonical model does
    not: the tool's resourceId and tag (never modified), and the resource link."""

    __tablename__ = "lti_line_items"
    __table_args__ = (Index("ix_lti_line_items_tool_context", "tool_id", "context_id"),)

    line_item_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("lti_tools.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(String(64))
    class_id: Mapped[str] = mapped_column(String(255))
    resource_link_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    resource_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    tag: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LtiScoreMark(Base):
    """The timestamp of the last score accepted per (line item, user): AGS scores must arrive
    with strictly increasing timestamps, on every node."""

    __tablename__ = "lti_score_marks"

    line_item_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    # ISO 8601 UTC with microseconds, fixed width, so text order is time order on every backend
    timestamp: Mapped[str] = mapped_column(String(32))


class LtiLmsLogin(Base):
    """An LMS launch the gateway (as the LMS's tool) has sent to the LMS's authorization
    endpoint: the signed `state` names it; the `nonce` the id_token must echo; used once.
    Kept here rather than in a cookie, since an LMS frames the gateway cross-site."""

    __tablename__ = "lti_lms_logins"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(64))
    target_link_uri: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class LtiLmsUser(Base):
    """An LMS user (the LMS's `sub`) matched to a canonical user, and how (sourcedId, a SIS
    id in a custom variable, e-mail, or district IT by hand)."""

    __tablename__ = "lti_lms_users"

    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"),
                                             primary_key=True)
    lms_user: Mapped[str] = mapped_column(String(255), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255))
    matched_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LtiLmsContext(Base):
    """An LMS context (course or section) matched to a canonical class, and how."""

    __tablename__ = "lti_lms_contexts"

    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"),
                                             primary_key=True)
    lms_context: Mapped[str] = mapped_column(String(255), primary_key=True)
    class_id: Mapped[str] = mapped_column(String(255))
    matched_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LtiUnmatched(Base):
    """A valid LMS launch whose user or context matched nothing: listed for district IT (one
    row per LMS user or context, counting repeats) until they map it."""

    __tablename__ = "lti_unmatched"
    __table_args__ = (UniqueConstraint("platform_id", "kind", "lms_value",
                                       name="uq_lti_unmatched_value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # "user" or "context"
    lms_value: Mapped[str] = mapped_column(String(255))
    hints: Mapped[dict] = mapped_column(JSON)  # what the launch offered to match on
    reason: Mapped[str] = mapped_column(Text)
    count: Mapped[int] = mapped_column(Integer)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LtiGradeRoute(Base):
    """Where grades of a tool in a class also go: the AGS endpoints an LMS gave the gateway
    when it relayed a launch of that tool in that class (refreshed on every launch, as AGS
    allows the LMS to move them)."""

    __tablename__ = "lti_grade_routes"

    tool_id: Mapped[int] = mapped_column(ForeignKey("lti_tools.id", ondelete="CASCADE"),
                                         primary_key=True)
    class_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"),
                                             primary_key=True)
    lineitems_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    lineitem_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    scopes: Mapped[list] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LtiForwardedItem(Base):
    """The LMS line item a gateway line item's scores are forwarded to (found by resourceId
    and tag, or created)."""

    __tablename__ = "lti_forwarded_items"

    line_item_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"),
                                             primary_key=True)
    lms_line_item: Mapped[str] = mapped_column(Text)


class LtiScoreForward(Base):
    """A score waiting for (or done with) its delivery to an LMS: retried with backoff until
    delivered or refused for good."""

    __tablename__ = "lti_score_forwards"
    __table_args__ = (Index("ix_lti_score_forwards_due", "done_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    tool_id: Mapped[int] = mapped_column(ForeignKey("lti_tools.id", ondelete="CASCADE"))
    class_id: Mapped[str] = mapped_column(String(255))
    line_item_id: Mapped[str] = mapped_column(String(255))
    lms_user: Mapped[str] = mapped_column(String(255))
    timestamp: Mapped[str] = mapped_column(String(32))
    score: Mapped[dict] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)


class LtiForwardMark(Base):
    """The latest score timestamp delivered per (LMS line item, LMS user): an older score is
    never sent after a newer one, whatever order retries finish in."""

    __tablename__ = "lti_forward_marks"

    lms_line_item: Mapped[str] = mapped_column(String(512), primary_key=True)
    lms_user: Mapped[str] = mapped_column(String(255), primary_key=True)
    timestamp: Mapped[str] = mapped_column(String(32))
