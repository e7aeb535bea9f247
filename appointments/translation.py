from modeltranslation.translator import TranslationOptions, register

from .models import Subject


@register(Subject)
class SubjectTranslationOptions(TranslationOptions):
    fields = ("name",)
