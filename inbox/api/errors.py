"""Every refusal as JSON ``{"detail": "<中文说明>"}`` with the status the pages use."""

from django.http import Http404
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from workflows.errors import GuardError

NOT_AUTHENTICATED = (
    "请提供有效的 API 令牌：请求头 Authorization: Bearer <令牌>。令牌可能已被撤销，请在“API 令牌”页面重新创建。"
)

# Pydantic's error types, said in Chinese (anything else: "格式不正确").
_TYPES = {
    "missing": "缺少此项",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "int_from_float": "须为整数",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "greater_than": "数值过小",
    "less_than": "数值过大",
    "string_type": "须为文字",
    "string_too_long": "过长",
    "string_too_short": "过短",
    "literal_error": "不是可选的值",
    "enum": "不是可选的值",
    "list_type": "须为列表",
    "too_long": "项数过多",
    "bool_parsing": "须为 true 或 false",
    "bool_type": "须为 true 或 false",
    "json_invalid": "不是有效的 JSON",
    "model_attributes_type": "须为 JSON 对象",
    "dict_type": "须为 JSON 对象",
    "model_type": "须为 JSON 对象",
    "value_error": "内容无效",
}
_PLACES = {
    "path": "路径参数",
    "query": "查询参数",
    "body": "请求体",
    "header": "请求头",
    "form": "表单",
    "file": "文件",
}


def _where(loc) -> str:
    parts = [str(p) for p in loc]
    if not parts:
        return "请求"
    place = _PLACES.get(parts[0], parts[0])
    # ninja puts the body under its parameter name ("payload"); it means nothing to a caller.
    fields = [p for p in parts[1:] if p != "payload"]
    return f"{place} {'.'.join(fields)}" if fields else place


def validation_message(errors) -> str:
    said = []
    for error in errors[:5]:
        what = _TYPES.get(error.get("type", ""), "格式不正确")
        if error.get("type") == "value_error" and error.get("ctx", {}).get("error"):
            what = str(error["ctx"]["error"])
        said.append(f"{_where(error.get('loc', ()))}：{what}")
    return "请求内容不符合要求。" + "；".join(said) + "。"


def install_error_handlers(api) -> None:
    def guard(request, exc: GuardError):
        return api.create_response(request, {"detail": exc.message}, status=exc.status)

    def invalid(request, exc: ValidationError):
        return api.create_response(request, {"detail": validation_message(exc.errors)}, status=422)

    def unauthenticated(request, exc):
        response = api.create_response(request, {"detail": NOT_AUTHENTICATED}, status=401)
        response["WWW-Authenticate"] = "Bearer"
        return response

    def forbidden(request, exc):
        return api.create_response(request, {"detail": "您没有权限进行此操作。"}, status=403)

    def not_found(request, exc):
        return api.create_response(request, {"detail": "未找到，或它不在您的管辖范围内。"}, status=404)

    def http_error(request, exc: HttpError):
        detail = "请求体不是有效的 JSON，请检查格式。" if exc.status_code == 400 else "请求无法处理。"
        return api.create_response(request, {"detail": detail}, status=exc.status_code)

    api.add_exception_handler(GuardError, guard)
    api.add_exception_handler(ValidationError, invalid)
    api.add_exception_handler(AuthenticationError, unauthenticated)
    api.add_exception_handler(AuthorizationError, forbidden)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(HttpError, http_error)
