# Test data for the Redmine connector tests, loaded once into the cached
# template database (tests/connectors/redmine/conftest.py) with
# `rails runner`. People match Baton's demo data: <username>@baton.example.
#
# Changing this file changes the cache key, so the template is rebuilt.

# No e-mail jobs running beside the seed (they would hold SQLite locks).
ActiveJob::Base.queue_adapter = :inline
Setting.notified_events = []

Redmine::DefaultData::Loader.load('en') if Redmine::DefaultData::Loader.no_data?

Setting.rest_api_enabled = '1'
Setting.default_language = 'en'
Setting.display_subprojects_issues = '0'

def person(login, first, last, admin: false)
  user = User.new(firstname: first, lastname: last, mail: "#{login}@baton.example")
  user.login = login
  user.admin = admin
  user.password = user.password_confirmation = "#{login}-redmine-pw"
  user.mail_notification = 'none'
  user.save!
  user
end

admin = person('baton-admin', 'Baton', 'Service', admin: true)
reader = person('reader', 'Read', 'Only')
sales = person('sales', 'Fang', 'Chen')
successor = person('successor', 'Jing', 'Yang')
dev = person('dev', 'Lei', 'Liu')
# Locked at the end: still owns an issue, as departing employees' accounts
# often do.
manager = person('manager', 'Wei', 'Zhang')
User.current = admin

# Placeholder keys: every test session writes fresh ones into its copy.
Token.create!(user: admin, action: 'api', value: 'admin-key-placeholder')
Token.create!(user: reader, action: 'api', value: 'reader-key-placeholder')

manager_role = Role.find_by!(name: 'Manager')
developer = Role.find_by!(name: 'Developer')
reporter = Role.find_by!(name: 'Reporter')

waiting = IssueStatus.create!(name: 'Waiting for customer', is_closed: false)

def project(identifier, name, members, status: Project::STATUS_ACTIVE)
  project = Project.new(name: name, identifier: identifier,
                        description: "#{name}, for the Baton tests.", is_public: false)
  project.enabled_module_names = %w[issue_tracking]
  project.trackers = Tracker.all
  project.save!
  members.each do |user, roles|
    Member.create!(project: project, principal: user, roles: roles)
  end
  project.update_column(:status, status) unless status == Project::STATUS_ACTIVE
  project
end

invoices = project('invoice-system', 'Invoice system', {
  sales => [manager_role, developer],
  successor => [developer],
  dev => [developer],
  manager => [manager_role],
})
website = project('website', 'Website relaunch', {
  sales => [developer],
  reader => [reporter],
})
warehouse = project('warehouse', 'Data warehouse', { dev => [developer] })
project('legacy-crm', 'Legacy CRM', { sales => [developer] },
        status: Project::STATUS_CLOSED)

Version.create!(project: invoices, name: '2.0', status: 'open',
                effective_date: Date.new(2026, 3, 31))
Version.create!(project: invoices, name: '1.9', status: 'closed',
                effective_date: Date.new(2025, 6, 30))

def issue(project, subject, assignee, status, tracker: 'Bug', done: 0, due: nil,
          description: '')
  Issue.create!(
    project: project,
    tracker: Tracker.find_by!(name: tracker),
    subject: subject,
    description: description,
    author: User.find_by_login('baton-admin'),
    assigned_to: assignee,
    status: status.is_a?(IssueStatus) ? status : IssueStatus.find_by!(name: status),
    priority: IssuePriority.default || IssuePriority.first,
    done_ratio: done,
    due_date: due,
  )
end

# Sales' open work.
issue(invoices, 'Fix invoice export', sales, 'In Progress', done: 40,
      due: Date.new(2026, 1, 15),
      description: "Exports to the tax office fail for credit notes.\nSee the log of 3 Nov.")
issue(invoices, 'Tax rate table for 2026', sales, 'New', tracker: 'Feature')
issue(invoices, 'Customer asked for a new PDF layout', sales, 'Feedback',
      tracker: 'Support', done: 10)
issue(invoices, 'Rounding in totals', sales, 'Resolved', done: 100)
issue(invoices, 'Confirm the payment terms', sales, waiting, tracker: 'Support')
issue(website, 'Landing page copy', sales, 'New', tracker: 'Feature')
# Not sales' open work: closed, someone else's, nobody's.
issue(invoices, 'Old import bug', sales, 'Closed', done: 100)
issue(invoices, 'Rejected idea', sales, 'Rejected')
issue(invoices, 'Speed up the search', dev, 'In Progress', done: 50)
issue(invoices, 'Unassigned clean-up', nil, 'New')
# Enough of dev's issues for Redmine's page cap (100) to split them.
105.times do |number|
  issue(warehouse, format('Nightly load %03d', number + 1), dev, 'New',
        tracker: 'Feature')
end
# A locked account that still owns an issue.
issue(invoices, 'Approve the Q4 invoices', manager, 'New')
manager.update_column(:status, User::STATUS_LOCKED)
