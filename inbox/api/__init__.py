"""The JSON API (django-ninja) for integrations: DingTalk/WeCom 审批, a mini-program.

Mounted at ``/api/`` (project/urls.py); the OpenAPI 3 schema is ``/api/openapi.json``. It calls
the same selectors and services as the pages, with the same scope, guards and audit events;
only the way in differs: a per-user bearer token (``Authorization: Bearer sp_…``, created on
``/inbox/api-tokens/``) instead of the session. There is no session auth here, so there is no
cross-site request to forge. No docs page: django-ninja's would load Swagger UI from a CDN.
"""

from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from .auth import TokenAuth
from .errors import install_error_handlers


class ChineseJSONRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}  # the messages are read by people, in Chinese


api = NinjaAPI(
    title="益阳市教育系统“双培”工程 API",
    version="1",
    description="我的待办、待认领、任务办理、培养案例与通知。认证：`Authorization: Bearer <API 令牌>`。",
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url=None,
    renderer=ChineseJSONRenderer(),
)
install_error_handlers(api)

from . import cases, notifications, tasks  # noqa: E402  (routers register on the api above)

api.add_router("", tasks.router)
api.add_router("", cases.router)
api.add_router("", notifications.router)

__all__ = ["api"]
