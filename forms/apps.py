from django.apps import AppConfig


class FormsConfig(AppConfig):
    name = "forms"
    label = "shuangpei_forms"
