// Emails the operators when the tick stops doing its work, so that a revoked API key or an unreachable
// Octopus is noticed within the hour. The Functions host records every invocation of a function as a
// request in Application Insights, named after the function and marked unsuccessful when it raised
// (MicrosoftDocs/azure-docs: articles/azure-functions/analyze-telemetry-data.md). The tick raises when
// it cannot reach Octopus or storage or its API key is refused, as `python -m coord tick` exits 2.

param location string
param tags object
param actionGroupName string
param ruleNamePrefix string
param applicationInsightsId string

@description('Email addresses of the operators, comma-separated.')
param alertEmails string

@description('Minutes without a successful tick before the operators hear of it: at least three tick intervals.')
param windowMinutes int

@description('Name of the timer function in function_app.py.')
param functionName string

var recipients = filter(map(split(alertEmails, ','), address => trim(address)), address => !empty(address))
// ISO 8601 in the units the portal offers: PT15M, PT45M, PT1H, PT6H.
var window = windowMinutes < 60 ? 'PT${windowMinutes}M' : 'PT${windowMinutes / 60}H'

resource operators 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'coord'
    enabled: true
    emailReceivers: [
      for (address, i) in recipients: {
        name: 'operator-${i + 1}'
        emailAddress: address
        useCommonAlertSchema: true
      }
    ]
  }
}

// Each query returns a row only when something is wrong: log alerts detect data better than its
// absence (MicrosoftDocs/azure-docs: articles/azure-monitor/alerts/alerts-troubleshoot-log.md), and a
// `summarize` with no `by` returns its one row even over no requests at all.
var rules = [
  {
    name: 'failing'
    displayName: 'coord: the tick keeps failing'
    description: 'At least three ticks failed and none succeeded in the window. Read the exceptions of the tick in Application Insights: a refused API key, or Octopus or storage out of reach (docs/deploy.md, "When an alert arrives").'
    query: 'requests | where name == "${functionName}" | summarize failed = countif(not(tobool(success))), succeeded = countif(tobool(success)) | where failed >= 3 and succeeded == 0'
  }
  {
    name: 'stopped'
    displayName: 'coord: the tick has not run'
    description: 'No tick at all in the window: the Function App is stopped, not deployed, or cannot send telemetry (docs/deploy.md, "When an alert arrives").'
    query: 'requests | where name == "${functionName}" | summarize runs = count() | where runs == 0'
  }
]

resource alerts 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = [
  for rule in rules: {
    name: '${ruleNamePrefix}${rule.name}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: 1
      enabled: true
      scopes: [
        applicationInsightsId
      ]
      evaluationFrequency: 'PT15M'
      windowSize: window
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      // Stateful: one email when the condition starts and one when it has cleared, not one per evaluation.
      autoMitigate: true
      // Application Insights is created in the same deployment and holds no data to validate against yet.
      skipQueryValidation: true
      actions: {
        actionGroups: [
          operators.id
        ]
      }
    }
  }
]
