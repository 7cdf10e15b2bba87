import datetime

import pytest

import coffer

APP_POLICY = '''
path "secret/data/app/*" {
  capabilities = ["create", "read", "update"]
}
path "auth/token/create" {
  capabilities = ["update"]
}
'''


@pytest.fixture
def admin(cluster):
    return cluster.admin()


def test_the_root_token_is_an_hvs_token(cluster):
    token = cluster.init.root_token
    assert token.startswith("hvs.") and len(token) == 37
    admin = cluster.admin()
    assert token not in repr(admin) and "redacted" in repr(admin)
    info = admin.lookup_token()
    assert info.policies == ["root"] and info.expire_time is None


def test_calls_without_a_valid_token_are_denied(cluster):
    node = cluster.node(1)
    for token in ("", "hvs.notatoken", b"\xff"):
        with pytest.raises(coffer.PermissionDeniedError) as e:
            node.as_caller(token).kv_get("secret", "app/db")
        assert e.value.message == "node: permission denied"
    with pytest.raises(TypeError):
        node.as_caller(None)


def test_a_token_with_a_policy_can_do_what_it_grants_only(cluster, admin):
    admin.write_policy("app", APP_POLICY)
    assert admin.read_policy("app") == APP_POLICY
    assert {"app", "default", "root"} <= set(admin.policies())
    created = admin.create_token(["app"], metadata={"team": "a"},
                                 display_name="ci",
                                 ttl=datetime.timedelta(hours=1))
    assert created.id.startswith("hvs.") and created.id not in repr(created)
    info = created.info
    assert info.policies == ["app", "default"]
    assert info.metadata == {"team": "a"} and info.display_name == "token-ci"
    assert info.renewable and not info.orphan and info.type == "service"
    assert info.creation_ttl == datetime.timedelta(hours=1)
    assert info.expire_time > info.creation_time

    # Used on every node: granted where the policy reaches, denied beyond.
    for i in cluster.nodes:
        app = cluster.node(i).as_caller(created.id)
        app.kv_put("secret", f"app/{i}", {"v": str(i)})
        assert app.kv_get("secret", f"app/{i}").data == {"v": str(i)}
        with pytest.raises(coffer.PermissionDeniedError):
            app.kv_put("secret", "other", {"v": "x"})
        with pytest.raises(coffer.PermissionDeniedError):
            app.put_raw("k", "v")
        with pytest.raises(coffer.PermissionDeniedError):
            app.peers()
        with pytest.raises(coffer.PermissionDeniedError):
            app.token_accessors()
        # The mount of a path it may use, without read on sys/mounts.
        assert app.find_kv_mount("secret/app/x").path == "secret/"
        with pytest.raises(coffer.PermissionDeniedError):
            app.kv_mounts()
        with pytest.raises(coffer.PermissionDeniedError):
            app.find_kv_mount("nomount/x", stale=True)

    # Lookups: self, by id, by accessor.
    app = cluster.node(1).as_caller(created.id)
    assert app.lookup_token().accessor == info.accessor
    assert admin.lookup_token(created.id).display_name == "token-ci"
    assert admin.lookup_token(accessor=info.accessor).policies == [
        "app", "default"]
    with pytest.raises(coffer.NotFoundError):
        admin.lookup_token(accessor="nosuchaccessor")
    with pytest.raises(ValueError):
        admin.lookup_token(created.id, accessor=info.accessor)
    renewed = app.renew_token(increment=datetime.timedelta(hours=2))
    assert renewed.ttl > datetime.timedelta(hours=1)
    assert renewed.last_renewal_time is not None
    renewed = admin.renew_token(accessor=info.accessor,
                                increment=datetime.timedelta(hours=3))
    assert renewed.accessor == info.accessor
    assert renewed.ttl == datetime.timedelta(hours=3)
    with pytest.raises(coffer.NotFoundError):
        admin.renew_token(accessor="nosuchaccessor")

    # Capabilities, as the admin sees the app token's, and its own.
    caps = admin.capabilities(["secret/data/app/x", "secret/data/other"],
                              accessor=info.accessor)
    assert caps == {"secret/data/app/x": ["create", "read", "update"],
                    "secret/data/other": ["deny"]}
    assert app.capabilities("secret/data/app/x") == {
        "secret/data/app/x": ["create", "read", "update"]}
    assert admin.capabilities("anything") == {"anything": ["root"]}
    assert info.accessor in admin.token_accessors()

    # A child of the app token, orphaned when its parent is revoked.
    child = app.create_token()
    assert child.info.policies == ["app", "default"]
    admin.revoke_token(created.id, orphan=True)
    with pytest.raises(coffer.PermissionDeniedError):
        app.lookup_token()
    assert cluster.node(2).as_caller(child.id).lookup_token().orphan
    admin.revoke_token(accessor=child.info.accessor)
    with pytest.raises(coffer.PermissionDeniedError):
        cluster.node(3).as_caller(child.id).kv_get("secret", "app/1")

    admin.delete_policy("app")
    with pytest.raises(coffer.NotFoundError):
        admin.read_policy("app")
    assert "app" not in admin.policies()


def test_bad_policies_and_arguments(admin):
    with pytest.raises(coffer.InvalidArgumentError) as e:
        admin.write_policy("bad", 'path "a" {')
    assert e.value.message.startswith("acl: ")
    with pytest.raises(TypeError):
        admin.create_token("app")  # a list of names, not one
    with pytest.raises(coffer.InvalidArgumentError):
        admin.create_token(ttl=-1)
    with pytest.raises(coffer.InvalidArgumentError):
        admin.capabilities([])


def test_a_revoked_token_is_refused_and_self_revocation(cluster, admin):
    t = admin.create_token(["default"], num_uses=0)
    me = cluster.node(2).as_caller(t.id)
    assert me.lookup_token().policies == ["default"]
    me.revoke_token()
    with pytest.raises(coffer.PermissionDeniedError):
        me.lookup_token()
    orphan = admin.create_token(orphan_endpoint=True)
    assert orphan.info.orphan and orphan.info.policies == ["root"]
    admin.revoke_token(orphan.id)
