/*
 * Template editor helpers, as Stimulus controllers on Wagtail's admin app.
 *
 * baton-question (on each "Form field" block): shows only the settings that
 * apply to the chosen field type; the map comes from the server
 * (checklist_blocks.blocks.fields.SETTING_FIELD_TYPES), which also drops the
 * hidden ones on save.
 *
 * baton-condition (on each item's "Condition"): the stored value is still the
 * question's key, but the author picks the question from a list of the
 * template's own questions, then an answer: yes/no questions offer "is yes" /
 * "is no", choice questions a list of their choices. The server checks the
 * same rules on save (ChecklistStreamBlock.clean).
 *
 * A new page is not autosaved: the first autosave would create it, and an
 * abandoned attempt would leave a draft behind (see wagtail_hooks.py).
 */
(() => {
  const YES_NO_OPERATORS = ["is_yes", "is_no"];
  const VALUE_OPERATORS = ["equals", "not_equals"];
  const QUESTIONS_CHANGED = "baton:questions-changed";

  function child(element, name) {
    return element.querySelector(`[data-contentpath="${name}"]`);
  }

  function input(element, name) {
    const wrapper = child(element, name);
    return wrapper && wrapper.querySelector("input, select, textarea");
  }

  function announce() {
    document.dispatchEvent(new CustomEvent(QUESTIONS_CHANGED));
  }

  function setValue(field, value) {
    if (field.value === value) return;
    field.value = value;
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function stopAutosaveOfNewPage() {
    const form = document.querySelector('form[data-controller~="w-autosave"]');
    if (!form || !/\/pages\/add\//.test(form.getAttribute("action") || "")) {
      return;
    }
    const controllers = form.dataset.controller.split(/\s+/);
    form.dataset.controller = controllers
      .filter((name) => name !== "w-autosave")
      .join(" ");
    // "Autosave is paused" would promise a save that never comes.
    const indicator = document.getElementById("w-autosave-indicator");
    if (indicator) indicator.remove();
  }

  function register() {
    const { Controller } = window.StimulusModule;

    class QuestionController extends Controller {
      static values = { applies: Object };

      connect() {
        this.fieldType = input(this.element, "field_type");
        this.onChange = (event) => {
          if (event.target === this.fieldType) this.showSettings();
          announce();
        };
        this.element.addEventListener("change", this.onChange);
        this.element.addEventListener("input", this.onChange);
        this.showSettings();
        announce();
      }

      disconnect() {
        this.element.removeEventListener("change", this.onChange);
        this.element.removeEventListener("input", this.onChange);
        announce();
      }

      showSettings() {
        const type = this.fieldType ? this.fieldType.value : "";
        Object.entries(this.appliesValue).forEach(([name, types]) => {
          const wrapper = child(this.element, name);
          if (wrapper) wrapper.hidden = !types.includes(type);
        });
      }

      question() {
        const choices = child(this.element, "choices");
        return {
          element: this.element,
          key: (input(this.element, "key") || {}).value || "",
          label: (input(this.element, "label") || {}).value || "",
          type: this.fieldType ? this.fieldType.value : "",
          choices: choices
            ? [...choices.querySelectorAll("input[type=text]")]
                .map((field) => field.value.trim())
                .filter(Boolean)
            : [],
        };
      }
    }

    class ConditionController extends Controller {
      static values = { always: String, missing: String };

      connect() {
        this.keyInput = input(this.element, "field_key");
        this.operator = input(this.element, "operator");
        this.valueInput = input(this.element, "value");
        if (!this.keyInput || !this.operator || !this.valueInput) return;
        this.questionSelect = this.replaceWith(this.keyInput, "question");
        this.answerSelect = this.replaceWith(this.valueInput, "answer");
        this.answerSelect.hidden = true;

        this.questionSelect.addEventListener("change", () => {
          setValue(this.keyInput, this.questionSelect.value);
          this.apply(true);
        });
        this.answerSelect.addEventListener("change", () => {
          setValue(this.valueInput, this.answerSelect.value);
        });
        this.operator.addEventListener("change", () => this.apply(false));
        // Questions may have been renamed or removed since the list was made.
        ["focus", "mousedown"].forEach((type) =>
          this.questionSelect.addEventListener(type, () => this.apply(false)),
        );
        this.refresh = () => {
          if (this.pending) return;
          this.pending = true;
          window.requestAnimationFrame(() => {
            this.pending = false;
            this.apply(false);
          });
        };
        document.addEventListener(QUESTIONS_CHANGED, this.refresh);
        this.apply(false);
      }

      disconnect() {
        if (this.refresh) {
          document.removeEventListener(QUESTIONS_CHANGED, this.refresh);
        }
      }

      /* A select in place of a text input; the input keeps the stored value. */
      replaceWith(field, role) {
        const select = document.createElement("select");
        select.id = `${field.id}-${role}`;
        select.className = `baton-condition__${role}`;
        field.after(select);
        field.hidden = true;
        const label = this.element.querySelector(`label[for="${field.id}"]`);
        if (label) label.htmlFor = select.id;
        return select;
      }

      questions() {
        const form = this.element.closest("form") || document;
        return [...form.querySelectorAll('[data-controller~="baton-question"]')]
          .filter((element) => !element.contains(this.element))
          .map((element) =>
            this.application.getControllerForElementAndIdentifier(
              element,
              "baton-question",
            ),
          )
          .filter(Boolean)
          .map((controller) => controller.question())
          .filter((question) => question.key);
      }

      apply(questionChosen) {
        const key = this.keyInput.value;
        const questions = this.questions();
        const chosen = questions.find((question) => question.key === key);
        this.fillQuestions(questions, key, chosen);
        this.limitOperators(chosen, questionChosen);
        this.showAnswer(chosen);
      }

      fillQuestions(questions, key, chosen) {
        const options = [new Option(this.alwaysValue, "")];
        questions.forEach((question) => {
          options.push(new Option(question.label || question.key, question.key));
        });
        if (key && !chosen) {
          options.push(new Option(this.missingValue.replace("%(key)s", key), key));
        }
        this.questionSelect.replaceChildren(...options);
        this.questionSelect.value = key;
      }

      limitOperators(chosen, questionChosen) {
        let allowed = [...YES_NO_OPERATORS, ...VALUE_OPERATORS];
        if (chosen) {
          allowed = chosen.type === "yes_no" ? YES_NO_OPERATORS : VALUE_OPERATORS;
        }
        [...this.operator.options].forEach((option) => {
          const hidden = option.value !== "" && !allowed.includes(option.value);
          option.hidden = hidden;
          option.disabled = hidden;
        });
        if (!chosen) {
          if (questionChosen && !this.keyInput.value) {
            setValue(this.operator, "");
            setValue(this.valueInput, "");
          }
          return;
        }
        if (!allowed.includes(this.operator.value)) {
          setValue(this.operator, allowed[0]);
        }
        if (questionChosen && chosen.type === "choice") {
          setValue(this.valueInput, "");
        }
      }

      showAnswer(chosen) {
        const needsValue = VALUE_OPERATORS.includes(this.operator.value);
        const valueWrapper = child(this.element, "value");
        valueWrapper.hidden = Boolean(chosen) && !needsValue;
        if (chosen && chosen.type === "yes_no") setValue(this.valueInput, "");

        const choices = chosen && chosen.type === "choice" ? chosen.choices : null;
        this.valueInput.hidden = Boolean(choices);
        this.answerSelect.hidden = !choices;
        const label = valueWrapper.querySelector("label");
        if (label) {
          label.htmlFor = choices ? this.answerSelect.id : this.valueInput.id;
        }
        if (!choices) return;
        const current = this.valueInput.value;
        const options = [new Option("", "")];
        choices.forEach((choice) => options.push(new Option(choice, choice)));
        if (current && !choices.includes(current)) {
          options.push(new Option(current, current));
        }
        this.answerSelect.replaceChildren(...options);
        this.answerSelect.value = current;
      }
    }

    window.wagtail.app.register("baton-question", QuestionController);
    window.wagtail.app.register("baton-condition", ConditionController);
  }

  function start() {
    stopAutosaveOfNewPage();
    if (window.StimulusModule && window.wagtail && window.wagtail.app) register();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
